using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Kedge.Common.Files;
using Kedge.Common.Tls;

namespace Kedge.Common.Http;

/// <summary>
/// The one recipe for the kedge products' outgoing connections (kedge to backends and adhoc targets, Kedge.Client and
/// winch to kedge, winch to direct targets): no HTTP(S)_PROXY from the environment (it may be winch itself), no
/// redirects, no cookies, no decompression (bodies pass through untouched), several HTTP/2 connections per peer when
/// streams run out, idle connections kept 90 seconds. Infrastructure shared by the kedge products.
/// </summary>
public static class OutgoingHandlerFactory
{
    /// <summary>How long an idle pooled connection is kept: 90 seconds.</summary>
    public static readonly TimeSpan PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Creates a handler with the recipe.</summary>
    /// <param name="connectTimeout">How long a TCP connect may take; null for no limit beyond the request's.</param>
    /// <param name="pooledConnectionLifetime">How long a connection is reused (so rotated certificates and DNS changes reach busy pools); null for no limit.</param>
    /// <returns>A handler the caller owns; set the caller's own callbacks (connect, TLS) on it before the first request.</returns>
    public static SocketsHttpHandler Create(TimeSpan? connectTimeout, TimeSpan? pooledConnectionLifetime = null)
        => new()
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = PooledConnectionIdleTimeout,
            ConnectTimeout = connectTimeout ?? Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = pooledConnectionLifetime ?? Timeout.InfiniteTimeSpan,
        };

    /// <summary>
    /// TLS options that verify the server against <paramref name="trust"/> (custom root trust; the system's roots
    /// without one) and a name, and present <paramref name="clientCertificate"/> when given. Both snapshots are read at
    /// each handshake, so new connections follow file changes.
    /// </summary>
    /// <param name="trust">The CA bundle the server must chain to; null trusts the system's roots.</param>
    /// <param name="clientCertificate">The client certificate; null sends none.</param>
    /// <param name="serverName">The name the server certificate must carry; null uses the connection's target host.</param>
    /// <param name="insecureSkipVerify">Accept any server certificate (only when an operator asked for it explicitly).</param>
    /// <returns>Options for <see cref="SocketsHttpHandler.SslOptions"/>.</returns>
    public static SslClientAuthenticationOptions CreateSslOptions(FileSnapshot<TrustBundle>? trust, FileSnapshot<TlsCertificate>? clientCertificate, string? serverName, bool insecureSkipVerify)
    {
        var ssl = new SslClientAuthenticationOptions();
        if (insecureSkipVerify)
        {
#pragma warning disable CA5359 // asked for explicitly (Go: insecure_skip_verify); the default verifies
            ssl.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else
        {
            ssl.RemoteCertificateValidationCallback = (sender, certificate, presented, _) => Verify(certificate, presented, trust?.GetCurrent(), serverName ?? (sender as SslStream)?.TargetHostName);
        }

        if (clientCertificate is not null)
        {
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate.GetCurrent().Leaf;
        }

        return ssl;
    }

    /// <summary>
    /// The chain must lead to the CA bundle (or a system root without one) and the certificate must carry the expected
    /// name. SocketsHttpHandler takes SNI and the name from the Host header, which is the caller's target behind a
    /// proxy, so a configured server name is checked instead when given.
    /// </summary>
    private static bool Verify(X509Certificate? certificate, X509Chain? presented, TrustBundle? trust, string? expectedName)
    {
        if (certificate is null || string.IsNullOrEmpty(expectedName))
        {
            return false;
        }

        var host = expectedName.StartsWith('[') ? expectedName.Trim('[', ']')
            : IPAddress.TryParse(expectedName, out _) ? expectedName
            : expectedName.Split(':')[0];
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return CertificateChains.Build(leaf, presented, trust) && leaf.MatchesHostname(host);
    }
}
