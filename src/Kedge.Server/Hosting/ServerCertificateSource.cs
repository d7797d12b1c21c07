using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kedge.Client.Internal;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Hosting;

/// <summary>The server certificate, re-read when its files change (Kubernetes secret <c>..data</c> swaps included).</summary>
internal sealed class ServerCertificateSource
{
    private readonly FileSnapshot<X509Certificate2> _snapshot;

    public ServerCertificateSource(string certFile, string keyFile, TimeProvider timeProvider, ILogger logger, TimeSpan? checkInterval = null)
    {
        var paths = $"{certFile}, {keyFile}";
        _snapshot = new FileSnapshot<X509Certificate2>(
            [certFile, keyFile],
            contents => X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(contents[0]), Encoding.ASCII.GetString(contents[1])),
            checkInterval ?? TimeSpan.FromSeconds(2),
            timeProvider,
            onChanged: c => KedgeServerLog.ServerCertificateReloaded(logger, paths, c.Subject),
            onReloadFailed: ex => KedgeServerLog.ServerCertificateReloadFailed(logger, paths, ex));
    }

    /// <summary>The current certificate.</summary>
    /// <exception cref="IOException">The files could not be loaded at all.</exception>
    public X509Certificate2 Current => _snapshot.GetCurrent();
}
