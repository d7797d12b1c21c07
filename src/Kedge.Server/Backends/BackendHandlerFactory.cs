using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kedge.Client.Internal;
using Kedge.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Backends;

/// <summary>
/// Builds the connection handler for a backend: warm pooled connections, optional TLS/mTLS, never a proxy, and never a
/// resend of a request the backend may have read (<see cref="UnansweredCloseGuardStream"/>). The CA file
/// and the client certificate are re-read when their content changes (a Kubernetes secret update), without a restart:
/// new connections use the new files.
/// </summary>
internal static class BackendHandlerFactory
{
    /// <summary>How often the backend TLS files are checked for changes.</summary>
    internal static readonly TimeSpan FileCheckInterval = TimeSpan.FromSeconds(2);

    public static SocketsHttpHandler Create(BackendTlsOptions? tls, TimeProvider timeProvider, ILogger logger)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            ActivityHeadersPropagator = null,
            PlaintextStreamFilter = UnansweredCloseGuardStream.Filter,
            RequestHeaderEncodingSelector = Forwarding.KedgeTransformer.RequestHeaderEncoding,
        };

        if (tls is not null)
        {
            var ssl = new SslClientAuthenticationOptions();
            if (tls.InsecureSkipVerify)
            {
                // The operator asked for it (Go: security.insecure_skip_verify); the default verifies.
#pragma warning disable CA5359
                ssl.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
            }
            else
            {
                var cas = tls.CaFile is null ? null : new FileSnapshot<X509Certificate2Collection>(
                    [tls.CaFile],
                    contents =>
                    {
                        var collection = new X509Certificate2Collection();
                        collection.ImportFromPem(Encoding.ASCII.GetString(contents[0]));
                        return collection.Count > 0 ? collection : throw new InvalidDataException($"'{tls.CaFile}' holds no certificate.");
                    },
                    FileCheckInterval,
                    timeProvider,
                    onChanged: _ => KedgeServerLog.BackendTlsFilesReloaded(logger, tls.CaFile),
                    onReloadFailed: ex => KedgeServerLog.BackendTlsFilesReloadFailed(logger, tls.CaFile, ex));
                _ = cas?.GetCurrent(); // fail now, at apply time, if the file cannot be read at all
                var serverName = tls.ServerName;
                ssl.RemoteCertificateValidationCallback = (sender, certificate, presented, _) => Verify(certificate, presented, cas?.GetCurrent(), serverName ?? (sender as SslStream)?.TargetHostName);
            }

            if (tls.ClientCertificateFile is not null && tls.ClientKeyFile is not null)
            {
                var files = $"{tls.ClientCertificateFile}, {tls.ClientKeyFile}";
                var clientCertificate = new FileSnapshot<X509Certificate2>(
                    [tls.ClientCertificateFile, tls.ClientKeyFile],
                    contents => X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(contents[0]), Encoding.ASCII.GetString(contents[1])),
                    FileCheckInterval,
                    timeProvider,
                    onChanged: _ => KedgeServerLog.BackendTlsFilesReloaded(logger, files),
                    onReloadFailed: ex => KedgeServerLog.BackendTlsFilesReloadFailed(logger, files, ex));
                _ = clientCertificate.GetCurrent();
                ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate.GetCurrent();
            }

            handler.SslOptions = ssl;
        }

        return handler;
    }

    /// <summary>
    /// The chain must lead to the configured CA (or a system root without one) and the certificate must carry the
    /// expected name. SocketsHttpHandler takes SNI and the name from the Host header, which is the caller's target here,
    /// so a configured server name is checked instead when given.
    /// </summary>
    private static bool Verify(X509Certificate? certificate, X509Chain? presented, X509Certificate2Collection? cas, string? expectedName)
    {
        if (certificate is null || string.IsNullOrEmpty(expectedName))
        {
            return false;
        }

        var host = expectedName.StartsWith('[') ? expectedName.Trim('[', ']')
            : System.Net.IPAddress.TryParse(expectedName, out _) ? expectedName
            : expectedName.Split(':')[0];
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return CertificateChains.Build(leaf, presented, cas) && leaf.MatchesHostname(host);
    }
}
