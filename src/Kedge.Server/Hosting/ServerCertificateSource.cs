using System.Security.Cryptography.X509Certificates;
using Kedge.Common.Files;
using Kedge.Common.Tls;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Hosting;

/// <summary>
/// The server certificate, re-read when its files change (Kubernetes secret <c>..data</c> swaps included), through the
/// shared loader: a certificate is published only once fully loaded and checked for serverAuth, so concurrent
/// handshakes never see it half-initialised, and a bad update keeps the previous certificate.
/// </summary>
internal sealed class ServerCertificateSource
{
    private readonly FileSnapshot<TlsCertificate> _snapshot;

    public ServerCertificateSource(string certFile, string keyFile, TimeProvider timeProvider, ILogger logger, TimeSpan? checkInterval = null)
    {
        var paths = $"{certFile}, {keyFile}";
        _snapshot = TlsFiles.WatchCertificate(
            certFile,
            keyFile,
            forServer: true,
            timeProvider,
            onChanged: c => KedgeServerLog.ServerCertificateReloaded(logger, paths, c.Leaf.Subject),
            onReloadFailed: ex => KedgeServerLog.ServerCertificateReloadFailed(logger, paths, ex),
            checkInterval);
    }

    /// <summary>The current certificate.</summary>
    /// <exception cref="IOException">The files could not be loaded at all.</exception>
    public X509Certificate2 Current => _snapshot.GetCurrent().Leaf;
}
