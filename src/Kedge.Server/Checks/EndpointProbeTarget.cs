using System.Net.Security;
using Kedge.Common.Tls;
using Kedge.Server.Backends;
using Kedge.Server.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kedge.Server.Checks;

/// <summary>
/// What every endpoint of one backend is probed with: kedge's own connection handler for the backend
/// (<see cref="BackendHandlerFactory"/>: its CA bundle, client certificate and verification), the name kedge sends as
/// SNI and the names the certificate must carry, and the probe path.
/// </summary>
internal sealed class EndpointProbeTarget : IDisposable
{
    private EndpointProbeTarget(string lineName, string where, BackendTlsOptions? tls, IReadOnlyList<string> names, string? probePath, SocketsHttpHandler? handler, string? tlsSetupError, TrustBundle? trust, TimeProvider timeProvider, bool isGrpc)
    {
        IsGrpc = isGrpc;
        LineName = lineName;
        Where = where;
        Tls = tls;
        Names = names;
        ProbePath = probePath;
        Handler = handler;
        TlsSetupError = tlsSetupError;
        Trust = trust;
        TimeProvider = timeProvider;
        Invoker = handler is null ? null : new HttpMessageInvoker(handler, disposeHandler: false);
    }

    public string LineName { get; }

    /// <summary>A gRPC backend: kedge speaks HTTP/2 only to it.</summary>
    public bool IsGrpc { get; }

    public string Where { get; }

    /// <summary>The backend's TLS settings; null for plain text.</summary>
    public BackendTlsOptions? Tls { get; }

    /// <summary>
    /// The names kedge would send and check: the backend's <c>ServerName</c>, else the hosts of the routes that use it
    /// (kedge sends the caller's Host). Empty when routes match any host: the name is then the caller's, unknown here.
    /// </summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The path to GET on each endpoint; null: no HTTP probe (not asked, or a gRPC backend).</summary>
    public string? ProbePath { get; }

    /// <summary>kedge's handler for this backend (null when its TLS files cannot be loaded).</summary>
    public SocketsHttpHandler? Handler { get; }

    public HttpMessageInvoker? Invoker { get; }

    /// <summary>Why the backend's TLS files could not be loaded; null when they could.</summary>
    public string? TlsSetupError { get; }

    /// <summary>The backend's CA bundle (to explain a failed verification); null: the system roots.</summary>
    public TrustBundle? Trust { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>The TLS options kedge's handler uses (verification callback, client certificate).</summary>
    public SslClientAuthenticationOptions? KedgeSsl => Handler?.SslOptions;

    /// <summary>What is checked on each endpoint, for the ✔ line.</summary>
    public string Checked
    {
        get
        {
            var parts = new List<string> { "TCP connect" };
            if (Tls is not null)
            {
                parts.Add(Tls.InsecureSkipVerify ? "TLS handshake, certificate not verified (InsecureSkipVerify)"
                    : Names.Count > 0 ? $"TLS handshake, certificate verified for {string.Join(", ", Names.Select(n => $"'{n}'"))}"
                    : "TLS handshake, certificate chain verified (routes match any host: the name is the caller's)");
            }

            if (ProbePath is not null)
            {
                parts.Add("GET " + ProbePath);
            }

            return string.Join(", ", parts);
        }
    }

    public static EndpointProbeTarget Create(KedgeCheckContext context, BackendOptions options, bool isGrpc, string lineName, string where)
    {
        var routing = context.Routing!;
        IReadOnlyList<string> names = options.Tls?.ServerName is { Length: > 0 } serverName ? [serverName]
            : isGrpc ? [.. routing.GrpcRoutes.Where(r => r.Backend == options.Name && !string.IsNullOrEmpty(r.AuthorityHost)).Select(r => r.AuthorityHost!.ToLowerInvariant()).Distinct()]
            : [.. routing.HttpRoutes.Where(r => r.Backend == options.Name && !string.IsNullOrEmpty(r.Host)).Select(r => r.Host!.ToLowerInvariant()).Distinct()];
        // Over verified TLS the request needs the name kedge would send; routes that match any host give none, so the
        // GET is left out there (the handshake still checks the chain).
        var probePath = isGrpc || string.IsNullOrEmpty(context.ProbePath) || (options.Tls is { InsecureSkipVerify: false } && names.Count == 0) ? null : context.ProbePath;
        SocketsHttpHandler? handler = null;
        string? error = null;
        TrustBundle? trust = null;
        try
        {
            handler = BackendHandlerFactory.Create(options.Tls, context.TimeProvider, NullLogger.Instance);
            if (options.Tls is { CaFile: { } caFile, InsecureSkipVerify: false })
            {
                trust = TrustBundle.Load([caFile]);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            handler?.Dispose();
            handler = null;
            error = ex.Message;
        }

        return new EndpointProbeTarget(lineName, where, options.Tls, names, probePath, handler, error, trust, context.TimeProvider, isGrpc);
    }

    public void Dispose()
    {
        Invoker?.Dispose();
        Handler?.Dispose();
    }
}
