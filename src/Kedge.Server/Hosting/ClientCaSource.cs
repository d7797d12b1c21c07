using System.Security.Cryptography.X509Certificates;
using Kedge.Common.Files;
using Kedge.Common.Tls;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Hosting;

/// <summary>
/// The client CA files (server_tls_client_ca_files), through the shared loader: re-read by content like the server
/// certificate, a bad update keeps the previous CAs. An empty or non-PEM file is refused, never read as "no client
/// certificates".
/// </summary>
internal static class ClientCaSource
{
    /// <summary>The CA bundle snapshot, loaded once now (so a bad file stops the start); null without CA files.</summary>
    /// <exception cref="IOException">A file cannot be read or holds no certificate.</exception>
    public static FileSnapshot<TrustBundle>? Create(IReadOnlyList<string> files, TimeProvider timeProvider, ILogger logger, TimeSpan? checkInterval = null)
    {
        if (files.Count == 0)
        {
            return null;
        }

        var paths = string.Join(", ", files);
        var snapshot = TlsFiles.WatchTrustBundle(
            files,
            timeProvider,
            onChanged: _ => KedgeServerLog.ClientCaFilesReloaded(logger, paths),
            onReloadFailed: ex => KedgeServerLog.ClientCaFilesReloadFailed(logger, paths, ex),
            checkInterval);
        _ = snapshot.GetCurrent();
        return snapshot;
    }

    /// <summary>The chain must lead to a configured CA (intermediates the client sent are used) and allow client authentication.</summary>
    public static bool Validate(X509Certificate2 certificate, X509Chain? presented, TrustBundle cas)
        => CertificateChains.Build(certificate, presented, cas, requireClientAuthentication: true);
}
