using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Kedge.Server.Configuration;

namespace Kedge.Server.Backends;

/// <summary>Builds the connection handler for a backend: warm pooled connections, optional TLS/mTLS, never a proxy.</summary>
internal static class BackendHandlerFactory
{
    public static SocketsHttpHandler Create(BackendTlsOptions? tls)
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
                X509Certificate2Collection? cas = null;
                if (tls.CaFile is not null)
                {
                    cas = [];
                    cas.ImportFromPemFile(tls.CaFile);
                }

                var serverName = tls.ServerName;
                ssl.RemoteCertificateValidationCallback = (sender, certificate, presented, _) => Verify(certificate, presented, cas, serverName ?? (sender as SslStream)?.TargetHostName);
            }

            if (tls.ClientCertificateFile is not null && tls.ClientKeyFile is not null)
            {
                ssl.ClientCertificates = [X509Certificate2.CreateFromPemFile(tls.ClientCertificateFile, tls.ClientKeyFile)];
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

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (cas is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(cas);
        }

        // Intermediates the backend sent help build the chain to a private root.
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var host = expectedName.StartsWith('[') ? expectedName.Trim('[', ']')
            : System.Net.IPAddress.TryParse(expectedName, out _) ? expectedName
            : expectedName.Split(':')[0];
        return chain.Build(leaf) && leaf.MatchesHostname(host);
    }
}
