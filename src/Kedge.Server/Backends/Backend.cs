using System.Collections.Concurrent;
using System.Net;
using Kedge.Server.Configuration;
using Kedge.Server.Observability;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Backends;

/// <summary>
/// A named backend: its resolved endpoints (an immutable array swapped on change), round-robin picking that skips
/// endpoints ejected after a connect failure, and the connection pool to its endpoints.
/// </summary>
internal sealed class Backend : IAsyncDisposable
{
    private readonly IBackendResolver _resolver;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly KedgeMetrics? _metrics;
    private readonly ConcurrentDictionary<BackendEndpoint, long> _ejectedUntil = new();
    private readonly ConcurrentDictionary<BackendEndpoint, EndpointFailure> _failures = new();
    private volatile BackendEndpoint[] _endpoints = [];
    private long _next = -1;
    private long _ejectionsEnd; // when the last ejection ends (timestamp); before that, some endpoint may be out

    public Backend(string name, bool isGrpc, BackendOptions options, IBackendResolver resolver, TimeSpan ejectFor, TimeProvider timeProvider, ILogger logger, KedgeMetrics? metrics = null)
    {
        Name = name;
        IsGrpc = isGrpc;
        Options = options;
        EjectFor = ejectFor;
        _resolver = resolver;
        _timeProvider = timeProvider;
        _logger = logger;
        _metrics = metrics;
        UsesTls = options.Tls is not null;
        Invoker = new HttpMessageInvoker(new LoadBalancingHandler(this, BackendHandlerFactory.Create(options.Tls, timeProvider, logger)), disposeHandler: true);
    }

    public string Name { get; }

    public bool IsGrpc { get; }

    public BackendOptions Options { get; }

    public bool UsesTls { get; }

    public TimeSpan EjectFor { get; }

    /// <summary>
    /// The client for this backend's endpoints: retries a connect failure on another endpoint, and resends a dropped
    /// body-less idempotent request once when the route allows it (<see cref="ResendIdempotentOnceOption"/>).
    /// </summary>
    public HttpMessageInvoker Invoker { get; }

    public IReadOnlyList<BackendEndpoint> Endpoints => _endpoints;

    public Task StartAsync(CancellationToken cancellationToken) => _resolver.StartAsync(SetEndpoints, cancellationToken);

    /// <summary>The destination prefix for an endpoint: <c>http(s)://host:port</c>.</summary>
    public string PrefixFor(BackendEndpoint endpoint) => (UsesTls ? "https://" : "http://") + endpoint.Authority;

    /// <summary>
    /// Picks the next endpoint round robin over the endpoints in rotation (not ejected). One turn per request: the turn
    /// indexes the endpoints in rotation, so an ejected endpoint's share is spread evenly over the others instead of all
    /// going to its neighbour, and serial requests over N healthy endpoints give each exactly 1/N.
    /// </summary>
    public PickResult Pick()
    {
        var endpoints = _endpoints;
        if (endpoints.Length == 0)
        {
            return new PickResult(null, PickFailure.NoEndpoints);
        }

        // A long never wraps in practice (an int did after 2^32 requests, with a jump in the rotation).
        var turn = (ulong)Interlocked.Increment(ref _next);
        var now = _timeProvider.GetTimestamp();
        if (now >= Volatile.Read(ref _ejectionsEnd))
        {
            // No endpoint is ejected: the common case reads no dictionary (ConcurrentDictionary.IsEmpty would lock).
            return new PickResult(endpoints[(int)(turn % (ulong)endpoints.Length)], PickFailure.None);
        }

        var inRotation = 0;
        foreach (var endpoint in endpoints)
        {
            inRotation += IsEjected(endpoint, now) ? 0 : 1;
        }

        if (inRotation == 0)
        {
            return new PickResult(null, PickFailure.AllFailing);
        }

        var wanted = (int)(turn % (ulong)inRotation);
        foreach (var endpoint in endpoints)
        {
            if (!IsEjected(endpoint, now) && wanted-- == 0)
            {
                return new PickResult(endpoint, PickFailure.None);
            }
        }

        // Ejected between the two passes: take the first one still in rotation.
        return PickOther([]);
    }

    /// <summary>
    /// For a retry: the first endpoint in rotation after the last of <paramref name="tried"/> (in list order) that is not
    /// in <paramref name="tried"/>. It takes no round-robin turn, so a retry does not shift the rotation of the requests
    /// that follow.
    /// </summary>
    public PickResult PickOther(IReadOnlyCollection<BackendEndpoint> tried)
    {
        var endpoints = _endpoints;
        if (endpoints.Length == 0)
        {
            return new PickResult(null, PickFailure.NoEndpoints);
        }

        var now = _timeProvider.GetTimestamp();
        var after = tried.Count == 0 ? -1 : Array.IndexOf(endpoints, tried.Last());
        for (var i = 1; i <= endpoints.Length; i++)
        {
            var candidate = endpoints[(after + i + endpoints.Length) % endpoints.Length];
            if (!tried.Contains(candidate) && !IsEjected(candidate, now))
            {
                return new PickResult(candidate, PickFailure.None);
            }
        }

        return new PickResult(null, PickFailure.AllFailing);
    }

    /// <summary>Takes an endpoint out of rotation for <see cref="EjectFor"/>.</summary>
    public void Eject(BackendEndpoint endpoint, Exception cause)
    {
        var now = _timeProvider.GetTimestamp();
        if (EjectFor <= TimeSpan.Zero)
        {
            _failures[endpoint] = new EndpointFailure(now, EndpointFailure.Describe(cause), Ejected: false, EjectedUntil: 0);
            return;
        }

        var until = now + (long)(EjectFor.TotalSeconds * _timeProvider.TimestampFrequency);
        _ejectedUntil[endpoint] = until;
        _failures[endpoint] = new EndpointFailure(now, EndpointFailure.Describe(cause), Ejected: true, until);
        for (var end = Volatile.Read(ref _ejectionsEnd); end < until; end = Volatile.Read(ref _ejectionsEnd))
        {
            if (Interlocked.CompareExchange(ref _ejectionsEnd, until, end) == end)
            {
                break;
            }
        }

        KedgeServerLog.EndpointEjected(_logger, endpoint.Authority, Name, EjectFor, cause);
    }

    /// <summary>How many of the endpoints are out of rotation now (read when metrics are scraped).</summary>
    public int EjectedCount()
    {
        var now = _timeProvider.GetTimestamp();
        if (now >= Volatile.Read(ref _ejectionsEnd))
        {
            return 0;
        }

        var endpoints = _endpoints;
        var ejected = 0;
        foreach (var endpoint in endpoints)
        {
            ejected += IsEjected(endpoint, now) ? 1 : 0;
        }

        return ejected;
    }

    /// <summary>
    /// Records a failed exchange with an endpoint that did not eject it (the connection dropped, a protocol error); read
    /// by the dashboard. Only failures allocate; a caller that went away is not the endpoint's failure.
    /// </summary>
    public void RecordFailure(BackendEndpoint endpoint, Exception cause)
        => _failures[endpoint] = new EndpointFailure(_timeProvider.GetTimestamp(), EndpointFailure.Describe(cause), Ejected: false, EjectedUntil: 0);

    /// <summary>The endpoint's last failure, if any (the dashboard decides how recent counts), and whether it is ejected now.</summary>
    public (EndpointFailure? LastFailure, bool EjectedNow) FailureOf(BackendEndpoint endpoint, long now)
    {
        _failures.TryGetValue(endpoint, out var failure);
        var ejected = _ejectedUntil.TryGetValue(endpoint, out var until) && now < until;
        return (failure, ejected);
    }

    private bool IsEjected(BackendEndpoint endpoint, long now)
    {
        if (!_ejectedUntil.TryGetValue(endpoint, out var until))
        {
            return false;
        }

        if (now < until)
        {
            return true;
        }

        // Expired: forget it (unless it was ejected again meanwhile).
        _ejectedUntil.TryRemove(new KeyValuePair<BackendEndpoint, long>(endpoint, until));
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _resolver.DisposeAsync();
        Invoker.Dispose();
    }

    private void SetEndpoints(IReadOnlyList<BackendEndpoint> endpoints)
    {
        _endpoints = [.. endpoints];
        foreach (var gone in _ejectedUntil.Keys.Except(endpoints))
        {
            _ejectedUntil.TryRemove(gone, out _);
        }

        foreach (var gone in _failures.Keys.Except(endpoints))
        {
            _failures.TryRemove(gone, out _);
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            var list = string.Join(", ", endpoints);
            KedgeServerLog.EndpointsChanged(_logger, Name, endpoints.Count, list);
        }
    }

    internal enum PickFailure
    {
        None,
        NoEndpoints,
        AllFailing,
    }

    internal readonly record struct PickResult(BackendEndpoint? Endpoint, PickFailure Failure);

    /// <summary>
    /// Sends a request to the endpoint the proxy picked and decides what may be sent again when that fails:
    /// <list type="bullet">
    /// <item>A connect failure (nothing was sent) is retried on another endpoint, each endpoint at most once, and the
    /// failed endpoint is ejected.</item>
    /// <item>Anything after that — the connection closed or reset before an answer — may have reached the backend, so the
    /// request is not sent again, unless the route opted in (<see cref="ResendIdempotentOnceOption"/>) and the request is
    /// idempotent and has no body: then it is resent once, on another endpoint.</item>
    /// </list>
    /// SocketsHttpHandler's own resend of such requests is stopped below this handler, by
    /// <see cref="UnansweredCloseGuardStream"/>.
    /// </summary>
    private sealed class LoadBalancingHandler(Backend backend, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // The endpoint the proxy picked travels with the request; re-parsing it from the (canonicalized) URI would
            // not match the configured form of every address.
            if (!request.Options.TryGetValue(EndpointOption, out var endpoint))
            {
                return await base.SendAsync(request, cancellationToken);
            }

            var mayResend = request.Options.TryGetValue(ResendIdempotentOnceOption, out var optedIn) && optedIn && IsIdempotentWithoutBody(request);
            List<BackendEndpoint>? tried = null;
            while (true)
            {
                try
                {
                    return await base.SendAsync(request, cancellationToken);
                }
                catch (Exception ex) when (Noted(endpoint, ex, cancellationToken))
                {
                    throw; // never reached: Noted only records
                }
                catch (Exception ex) when (IsConnectFailure(ex, cancellationToken))
                {
                    backend.Eject(endpoint, ex);
                    request.Options.TryGetValue(KedgeRequestFeature.Option, out var observed);
                    if (observed is not null && backend.EjectFor > TimeSpan.Zero)
                    {
                        KedgeTracing.Ejected(observed, backend.Name, endpoint, backend.EjectFor, ex);
                    }

                    (tried ??= []).Add(endpoint);
                    var next = backend.PickOther(tried).Endpoint;
                    if (next is null)
                    {
                        throw new BackendUnavailableException(backend.Name, tried, ex);
                    }

                    backend._metrics?.BackendRetried(backend.Name, "connect");
                    Retried(request, endpoint, next, "connect", ex);
                    endpoint = Redirect(request, next);
                }
                catch (Exception ex) when (mayResend && IsDroppedUnanswered(ex, cancellationToken))
                {
                    mayResend = false;
                    (tried ??= []).Add(endpoint);
                    if (backend.PickOther(tried).Endpoint is not { } next)
                    {
                        throw; // no other endpoint: the failure stands
                    }

                    KedgeServerLog.RequestResent(backend._logger, request.Method.Method, backend.Name, endpoint.Authority, next.Authority, ex);
                    backend._metrics?.BackendRetried(backend.Name, "resend_idempotent");
                    Retried(request, endpoint, next, "resend_idempotent", ex);
                    endpoint = Redirect(request, next);
                }
            }
        }

        // An exception filter that records and never catches: every failure of the endpoint is seen once, before the
        // clauses below decide about retries (a connect failure's record is then replaced by its ejection).
        private bool Noted(BackendEndpoint endpoint, Exception ex, CancellationToken cancellationToken)
        {
            if (!cancellationToken.IsCancellationRequested
                && ex is HttpRequestException or TimeoutException or OperationCanceledException { InnerException: TimeoutException }
                && !IsCallersFailure(ex))
            {
                backend.RecordFailure(endpoint, ex);
            }

            return false;
        }

        /// <summary>
        /// The failure began on the caller's side of kedge, not on kedge's connection to the endpoint: reading the
        /// caller's request (its upload) failed — the body ended early, the connection was reset or aborted — and the
        /// copy to the endpoint failed with it. Only ASP.NET Core's server throws those (BadHttpRequestException,
        /// ConnectionResetException, ConnectionAbortedException); the client stack towards the endpoint never does.
        /// A caller that went away is caught before this, by the cancelled token.
        /// </summary>
        internal static bool IsCallersFailure(Exception ex)
        {
            for (var e = ex; e is not null; e = e.InnerException)
            {
                if (e.GetType().Namespace?.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal) == true)
                {
                    return true;
                }
            }

            return false;
        }

        // The request's record follows the endpoint that answers: the span and the access log name the one last tried.
        private void Retried(HttpRequestMessage request, BackendEndpoint failed, BackendEndpoint next, string reason, Exception cause)
        {
            if (request.Options.TryGetValue(KedgeRequestFeature.Option, out var observed))
            {
                observed.Endpoint = next.Authority;
                observed.Retries++;
                KedgeTracing.Retried(observed, backend.Name, failed, next, reason, cause);
            }
        }

        private BackendEndpoint Redirect(HttpRequestMessage request, BackendEndpoint next)
        {
            request.Options.Set(EndpointOption, next);
            request.RequestUri = new Uri(backend.PrefixFor(next) + request.RequestUri!.PathAndQuery);
            return next;
        }

        /// <summary>
        /// No connection was made (refused, unreachable, or the connect timeout), so nothing of the request was sent
        /// and another endpoint may be tried.
        /// </summary>
        private static bool IsConnectFailure(Exception ex, CancellationToken cancellationToken)
            => !cancellationToken.IsCancellationRequested
                && (ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }
                    || (ex is OperationCanceledException && ex.InnerException is TimeoutException));

        /// <summary>
        /// The connection was closed or reset, or the HTTP/2 stream reset, before any response: the backend may or may
        /// not have processed the request. (A malformed answer is an answer, and is not resent.)
        /// </summary>
        private static bool IsDroppedUnanswered(Exception ex, CancellationToken cancellationToken)
            => !cancellationToken.IsCancellationRequested
                && ex is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.HttpProtocolError or HttpRequestError.Unknown };

        /// <summary>RFC 9110 §9.2.2's idempotent methods, and no request body to replay (YARP sets no content then).</summary>
        private static bool IsIdempotentWithoutBody(HttpRequestMessage request)
            => request.Content is null
                && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Options
                    || request.Method == HttpMethod.Trace || request.Method == HttpMethod.Put || request.Method == HttpMethod.Delete);
    }

    /// <summary>Set by the proxy when the route allows one resend of a dropped body-less idempotent request.</summary>
    internal static readonly HttpRequestOptionsKey<bool> ResendIdempotentOnceOption = new("Kedge.ResendIdempotentOnce");

    /// <summary>The endpoint a forwarded request was sent to (set by the proxy, updated on retries).</summary>
    internal static readonly HttpRequestOptionsKey<BackendEndpoint> EndpointOption = new("Kedge.BackendEndpoint");
}
