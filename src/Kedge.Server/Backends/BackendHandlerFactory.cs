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
            else if (tls.CaFile is not null)
            {
                var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                var cas = new X509Certificate2Collection();
                cas.ImportFromPemFile(tls.CaFile);
                policy.CustomTrustStore.AddRange(cas);
                ssl.CertificateChainPolicy = policy;
            }

            if (tls.ClientCertificateFile is not null && tls.ClientKeyFile is not null)
            {
                ssl.ClientCertificates = [X509Certificate2.CreateFromPemFile(tls.ClientCertificateFile, tls.ClientKeyFile)];
            }

            handler.SslOptions = ssl;
        }

        return handler;
    }
}
