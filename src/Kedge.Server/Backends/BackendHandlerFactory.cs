using Kedge.Common.Http;
using Kedge.Common.Tls;
using Kedge.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Backends;

/// <summary>
/// Builds kedge's connection handlers to backends and adhoc targets: the shared outgoing recipe
/// (<see cref="OutgoingHandlerFactory"/>), plus what a proxy needs: never a resend of a request the backend may have
/// read (<see cref="UnansweredCloseGuardStream"/>), the caller's header encoding, kedge's trace context only when it records a span.
/// Backend TLS files are re-read when their content changes (a Kubernetes secret update), without a restart: new
/// connections use the new files.
/// </summary>
internal static class BackendHandlerFactory
{
    public static SocketsHttpHandler Create(BackendTlsOptions? tls, TimeProvider timeProvider, ILogger logger)
    {
        var handler = CreateProxyHandler(TimeSpan.FromSeconds(5), pooledConnectionLifetime: null);
        if (tls is not null)
        {
            var cas = tls.CaFile is null || tls.InsecureSkipVerify ? null : TlsFiles.WatchTrustBundle(
                [tls.CaFile],
                timeProvider,
                onChanged: _ => KedgeServerLog.BackendTlsFilesReloaded(logger, tls.CaFile),
                onReloadFailed: ex => KedgeServerLog.BackendTlsFilesReloadFailed(logger, tls.CaFile, ex));
            _ = cas?.GetCurrent(); // fail now, at apply time, if the file cannot be read at all

            var files = $"{tls.ClientCertificateFile}, {tls.ClientKeyFile}";
            var clientCertificate = tls.ClientCertificateFile is null || tls.ClientKeyFile is null ? null : TlsFiles.WatchCertificate(
                tls.ClientCertificateFile,
                tls.ClientKeyFile,
                forServer: false,
                timeProvider,
                onChanged: _ => KedgeServerLog.BackendTlsFilesReloaded(logger, files),
                onReloadFailed: ex => KedgeServerLog.BackendTlsFilesReloadFailed(logger, files, ex));
            _ = clientCertificate?.GetCurrent();
            handler.SslOptions = OutgoingHandlerFactory.CreateSslOptions(cas, clientCertificate, tls.ServerName, tls.InsecureSkipVerify);
        }

        return handler;
    }

    /// <summary>The outgoing recipe with what kedge's proxy path needs on top.</summary>
    public static SocketsHttpHandler CreateProxyHandler(TimeSpan? connectTimeout, TimeSpan? pooledConnectionLifetime)
    {
        var handler = OutgoingHandlerFactory.Create(connectTimeout, pooledConnectionLifetime);
        // Trace headers are kedge's only within a kedge span (tracing on); otherwise the caller's pass through untouched.
        handler.ActivityHeadersPropagator = new Observability.KedgeTracePropagator(System.Diagnostics.DistributedContextPropagator.Current);
        handler.PlaintextStreamFilter = UnansweredCloseGuardStream.Filter;
        handler.RequestHeaderEncodingSelector = Forwarding.KedgeTransformer.RequestHeaderEncoding;
        return handler;
    }
}
