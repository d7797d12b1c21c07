using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.ExceptionServices;
using Grpc.Core;
using Kedge.Client.Failover;
using Kedge.Client.Internal;
using Kedge.Client.Tokens;
using Kedge.Common;

namespace Kedge.Client.Http;

/// <summary>
/// Sends requests for kedge destinations to the kedge that serves them, keeping the original authority, and passes every
/// other request to its inner handler untouched.
/// </summary>
/// <remarks>
/// <para>
/// For a kedge destination the request goes to the mapped kedge over the shared connections of the
/// <see cref="KedgeClient"/> (not through the inner handler): <c>Host</c> (HTTP/1.1) or <c>:authority</c> (HTTP/2) is the
/// target's authority, with the port when the caller gave one and <c>:443</c> for an https target on its default port
/// (kedge reads a port-less authority as port 80). <c>Proxy-Authorization</c> and <c>Authorization</c> are set from the
/// route's token sources. After the send, the request's URI, version and headers are restored to what the caller set.
/// </para>
/// <para>
/// <c>AddKedge()</c> places this handler directly above an <c>IHttpClientBuilder</c>'s primary handler, so every other
/// handler of the client (retries, resilience, logging) wraps it, whichever order they were added in. Built by hand,
/// put it innermost in the same way: a handler between it and its inner handler only sees requests that are not kedge
/// destinations.
/// </para>
/// </remarks>
public sealed class KedgeHttpMessageHandler : DelegatingHandler
{
    private const string GrpcContentType = GrpcTrailersOnly.ContentType;

    private readonly KedgeClient _client;

    // For a balanced gRPC channel (KedgeChannel with fallback kedges) the inner handler is the channel's own
    // SocketsHttpHandler, whose connections grpc-dotnet's load balancer makes to the kedge it picked.
    private readonly bool _balanced;

    // Most handlers call one service: remembering the last target skips the client's shared cache.
    private volatile KedgeTarget? _lastTarget;

    /// <summary>Creates the handler; set <see cref="DelegatingHandler.InnerHandler"/> for requests that are not kedge destinations.</summary>
    /// <param name="client">The kedge client: mapper, certificates and shared connections.</param>
    public KedgeHttpMessageHandler(KedgeClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <summary>Creates the handler with the handler used for requests that are not kedge destinations.</summary>
    /// <param name="client">The kedge client: mapper, certificates and shared connections.</param>
    /// <param name="innerHandler">The handler for requests that are not kedge destinations.</param>
    public KedgeHttpMessageHandler(KedgeClient client, HttpMessageHandler innerHandler)
        : base(innerHandler)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <summary>
    /// For <see cref="Grpc.KedgeChannel"/>: calls that carry the kedge the channel's load balancer picked go there
    /// through <paramref name="balancedTransport"/> (which grpc-dotnet must find as the inner handler to balance).
    /// </summary>
    internal KedgeHttpMessageHandler(KedgeClient client, SocketsHttpHandler balancedTransport)
        : base(balancedTransport)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _balanced = true;
    }

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri;
        if (uri is null || !uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return base.SendAsync(request, cancellationToken);
        }

        var target = _lastTarget;
        try
        {
            if (target is null || !target.Matches(uri) || !_client.IsCurrent(target))
            {
                _lastTarget = target = _client.Resolve(uri);
            }
        }
        catch (Exception ex)
        {
            var shown = uri.Authority;
            _client.Metrics.MappingFailure();
            KedgeClientLog.MappingFailed(_client.Logger, shown, _client.Mapper.Description, ex);
            return Task.FromException<HttpResponseMessage>(
                new HttpRequestException($"Kedge could not map '{shown}' with the {_client.Mapper.Description}: {ex.Message}", ex));
        }

        if (target.Route is null)
        {
            if (_balanced)
            {
                return Task.FromException<HttpResponseMessage>(new HttpRequestException($"{uri.Authority} is no longer a kedge destination."));
            }

            KedgeClientLog.NotKedgeDestination(_client.Logger, uri.Authority);
            return base.SendAsync(request, cancellationToken);
        }

        return KedgeClientTracing.Source.HasListeners()
            ? SendTracedAsync(request, target, cancellationToken)
            : SendThroughKedgeAsync(request, target, span: null, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendTracedAsync(HttpRequestMessage request, KedgeTarget target, CancellationToken cancellationToken)
    {
        using var span = KedgeClientTracing.Start(request, target);
        if (span is null)
        {
            return await SendThroughKedgeAsync(request, target, span: null, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var response = await SendThroughKedgeAsync(request, target, span, cancellationToken).ConfigureAwait(false);
            KedgeClientTracing.Complete(span, response);
            return response;
        }
        catch (Exception ex)
        {
            KedgeClientTracing.Fail(span, ex);
            throw;
        }
    }

    private Task<HttpResponseMessage> SendThroughKedgeAsync(HttpRequestMessage request, KedgeTarget target, Activity? span, CancellationToken cancellationToken)
    {
        var route = target.Route!;
        if (route.ProxyAuth is null && route.BackendAuth is null)
        {
            return SendToKedgeAsync(request, target, proxyAuthorization: null, backendAuthorization: null, span, cancellationToken);
        }

        // Cached tokens are ready at once: send without another async layer (and its Task) in between.
        var proxyToken = StartToken(route.ProxyAuth, cancellationToken);
        var backendToken = StartToken(route.BackendAuth, cancellationToken);
        if ((route.ProxyAuth is null || proxyToken.IsCompletedSuccessfully) && (route.BackendAuth is null || backendToken.IsCompletedSuccessfully))
        {
            string? proxyAuthorization = null;
            string? backendAuthorization = null;
            if ((route.ProxyAuth is { } proxyAuth && !TryBearer(proxyAuth, proxyToken.Result, target, out proxyAuthorization, out var failure))
                || (route.BackendAuth is { } backendAuth && !TryBearer(backendAuth, backendToken.Result, target, out backendAuthorization, out failure)))
            {
                return Task.FromException<HttpResponseMessage>(failure);
            }

            return SendToKedgeAsync(request, target, proxyAuthorization, backendAuthorization, span, cancellationToken);
        }

        return SendWithTokensAsync(request, target, proxyToken, backendToken, span, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendWithTokensAsync(HttpRequestMessage request, KedgeTarget target, ValueTask<string> proxyToken, ValueTask<string> backendToken, Activity? span, CancellationToken cancellationToken)
    {
        var route = target.Route!;
        var proxyAuthorization = route.ProxyAuth is { } proxyAuth
            ? await GetBearerAsync(proxyToken, proxyAuth, target, cancellationToken).ConfigureAwait(false)
            : null;
        var backendAuthorization = route.BackendAuth is { } backendAuth
            ? await GetBearerAsync(backendToken, backendAuth, target, cancellationToken).ConfigureAwait(false)
            : null;
        return await SendToKedgeAsync(request, target, proxyAuthorization, backendAuthorization, span, cancellationToken).ConfigureAwait(false);
    }

    private bool TryBearer(KedgeTokenSource source, string token, KedgeTarget target, out string? headerValue, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out HttpRequestException? failure)
    {
        try
        {
            headerValue = source.GetBearerHeaderValue(token);
            failure = null;
            return true;
        }
        catch (InvalidOperationException ex)
        {
            headerValue = null;
            failure = TokenFailure(source, target, ex);
            return false;
        }
    }

    private KedgeTokenSourceException TokenFailure(KedgeTokenSource source, KedgeTarget target, Exception ex)
    {
        _client.Metrics.Request(target.MappingRule, KedgeClientMetrics.TokenError);
        KedgeClientLog.TokenSourceFailed(_client.Logger, source.Name, target.Authority, ex);
        return new KedgeTokenSourceException(source.Name, $"Kedge could not get a token from token source '{source.Name}' for '{target.Authority}': {ex.Message}", ex);
    }

    private Task<HttpResponseMessage> SendToKedgeAsync(HttpRequestMessage request, KedgeTarget target, string? proxyAuthorization, string? backendAuthorization, Activity? span, CancellationToken cancellationToken)
    {
        if (_balanced && request.Options.TryGetValue(KedgeBalancedCallHandler.PickedKedge, out var picked))
        {
            return SendToPickedKedgeAsync(request, target, picked, proxyAuthorization, backendAuthorization, span, cancellationToken);
        }

        return target.Kedges.Length == 1
            ? SendToOneKedgeAsync(request, target, target.Kedges[0], proxyAuthorization, backendAuthorization, span, cancellationToken)
            : SendWithFailoverAsync(request, target, proxyAuthorization, backendAuthorization, span, cancellationToken);
    }

    /// <summary>
    /// A balanced gRPC channel's call to the kedge its load balancer picked, over the channel's own connection to it.
    /// When nothing reached that kedge (its connection could not be made), the call goes on to the route's other
    /// kedges over the client's shared connections, as any call through this handler would: the balancer only learns
    /// of the failure after the pick. Outcomes are recorded in <see cref="KedgeClient.Ejections"/>, which the
    /// balancer's picker reads.
    /// </summary>
    private async Task<HttpResponseMessage> SendToPickedKedgeAsync(HttpRequestMessage request, KedgeTarget target, KedgeEndpoint picked, string? proxyAuthorization, string? backendAuthorization, Activity? span, CancellationToken cancellationToken)
    {
        var kedge = Array.Find(target.Kedges, k => string.Equals(k.Authority, picked.Authority, StringComparison.OrdinalIgnoreCase));
        if (kedge is null)
        {
            // A configuration reload changed the route since the channel was made: the client's current route decides.
            return await SendWithFailoverAsync(request, target, proxyAuthorization, backendAuthorization, span, cancellationToken).ConfigureAwait(false);
        }

        HttpResponseMessage response;
        try
        {
            response = await SendAttemptAsync(request, target, kedge, proxyAuthorization, backendAuthorization, span, balanced: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (FailoverPolicy.Classify(ex, cancellationToken) is not { } failure)
            {
                throw OnTransportFailure(target, ex, cancellationToken);
            }

            var reason = failure == FailoverPolicy.Failure.NothingSent ? FailoverReasons.ConnectFailed : FailoverReasons.ConnectionBroken;
            _client.Metrics.KedgeAttempt(kedge.Authority, reason);
            Eject(kedge.Authority, kedge, reason);
            if (target.Kedges.Length == 1 || (failure == FailoverPolicy.Failure.MaybeSent && !FailoverPolicy.CanResend(request)))
            {
                throw OnTransportFailure(target, ex, cancellationToken);
            }

            FailOver(target, kedge, reason, ex);
            return await SendWithFailoverAsync(request, target, proxyAuthorization, backendAuthorization, span, cancellationToken, skip: kedge).ConfigureAwait(false);
        }

        RecordOutcome(target, kedge, response);
        return OnResponse(request, response, target, kedge);
    }

    private void RecordOutcome(KedgeTarget target, KedgeEndpoint kedge, HttpResponseMessage response)
    {
        var ejections = _client.Ejections;
        if (FailoverPolicy.IsNoHealthyEndpoint(response))
        {
            _client.Metrics.KedgeAttempt(kedge.Authority, FailoverReasons.NoHealthyEndpoint);
            if (ejections.ReportFailure(KedgeEjections.TargetKey(kedge, target.Authority)) is { } duration)
            {
                _client.Metrics.Ejection(kedge.Authority, FailoverReasons.NoHealthyEndpoint);
                KedgeClientLog.TargetEjected(_client.Logger, kedge.Authority, target.Authority, duration);
            }

            return;
        }

        _client.Metrics.KedgeAttempt(kedge.Authority, FailoverReasons.Success);
        if (ejections.ReportSuccess(kedge.Authority))
        {
            KedgeClientLog.KedgeRestored(_client.Logger, kedge.Authority);
        }

        ejections.ReportSuccess(KedgeEjections.TargetKey(kedge, target.Authority));
    }

    private async Task<HttpResponseMessage> SendToOneKedgeAsync(HttpRequestMessage request, KedgeTarget target, KedgeEndpoint kedge, string? proxyAuthorization, string? backendAuthorization, Activity? span, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await SendAttemptAsync(request, target, kedge, proxyAuthorization, backendAuthorization, span, balanced: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw OnTransportFailure(target, ex, cancellationToken);
        }

        return OnResponse(request, response, target, kedge);
    }

    /// <summary>
    /// Tries the route's kedges in order (<see cref="KedgeEjections.Order"/>), moving on when nothing reached a kedge,
    /// and, for a call that can be sent again (<see cref="FailoverPolicy.CanResend"/>), when the connection broke or the
    /// kedge has no healthy endpoint for the target. The last kedge's outcome is the caller's.
    /// </summary>
    private async Task<HttpResponseMessage> SendWithFailoverAsync(HttpRequestMessage request, KedgeTarget target, string? proxyAuthorization, string? backendAuthorization, Activity? span, CancellationToken cancellationToken, KedgeEndpoint? skip = null)
    {
        var order = _client.Ejections.Order(target.Kedges, target.Authority);
        if (skip is not null)
        {
            order = Array.FindAll(order, k => !ReferenceEquals(k, skip));
        }

        for (var i = 0; ; i++)
        {
            var kedge = order[i];
            var last = i == order.Length - 1;
            HttpResponseMessage response;
            try
            {
                response = await SendAttemptAsync(request, target, kedge, proxyAuthorization, backendAuthorization, span, balanced: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (FailoverPolicy.Classify(ex, cancellationToken) is not { } failure)
                {
                    throw OnTransportFailure(target, ex, cancellationToken);
                }

                var reason = failure == FailoverPolicy.Failure.NothingSent ? FailoverReasons.ConnectFailed : FailoverReasons.ConnectionBroken;
                _client.Metrics.KedgeAttempt(kedge.Authority, reason);
                Eject(kedge.Authority, kedge, reason);
                if (last || (failure == FailoverPolicy.Failure.MaybeSent && !FailoverPolicy.CanResend(request)))
                {
                    throw OnTransportFailure(target, ex, cancellationToken);
                }

                FailOver(target, kedge, reason, ex);
                continue;
            }

            if (!last && FailoverPolicy.CanResend(request) && response.Content.Headers.ContentLength is <= FailoverPolicy.MaxBufferedResponseLength)
            {
                // A small body of known length is part of the attempt: a kedge that dies mid-body moves the call on.
                try
                {
                    await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (FailoverPolicy.Classify(ex, cancellationToken) is not null)
                {
                    response.Dispose();
                    _client.Metrics.KedgeAttempt(kedge.Authority, FailoverReasons.ConnectionBroken);
                    Eject(kedge.Authority, kedge, FailoverReasons.ConnectionBroken);
                    FailOver(target, kedge, FailoverReasons.ConnectionBroken, ex);
                    continue;
                }
            }

            RecordOutcome(target, kedge, response);
            if (!last && FailoverPolicy.IsNoHealthyEndpoint(response) && FailoverPolicy.CanResend(request))
            {
                response.Dispose();
                FailOver(target, kedge, FailoverReasons.NoHealthyEndpoint, exception: null);
                continue;
            }

            return OnResponse(request, response, target, kedge);
        }
    }

    private void Eject(string key, KedgeEndpoint kedge, string reason)
    {
        if (_client.Ejections.ReportFailure(key) is { } duration)
        {
            _client.Metrics.Ejection(kedge.Authority, reason);
            KedgeClientLog.KedgeEjected(_client.Logger, kedge.Authority, duration, reason);
        }
    }

    private void FailOver(KedgeTarget target, KedgeEndpoint kedge, string reason, Exception? exception)
    {
        _client.Metrics.Failover(kedge.Authority, reason);
        if (_client.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            KedgeClientLog.FailingOver(_client.Logger, target.Authority, kedge.Authority, reason, exception);
        }
    }

    /// <summary>Sends the request to one kedge, the caller's request restored afterwards whatever happens.</summary>
    private async Task<HttpResponseMessage> SendAttemptAsync(HttpRequestMessage request, KedgeTarget target, KedgeEndpoint kedge, string? proxyAuthorization, string? backendAuthorization, Activity? span, bool balanced, CancellationToken cancellationToken)
    {
        var callerState = default(CallerRequestState);
        TraceContextHeaders? traceHeaders = null;
        try
        {
            callerState = CallerRequestState.Redirect(request, target, kedge, proxyAuthorization, backendAuthorization);
            if (span is not null)
            {
                traceHeaders = TraceContextHeaders.Inject(request, span, ownSpan: true);
            }
            else if (Activity.Current is { } current)
            {
                traceHeaders = TraceContextHeaders.Inject(request, KedgeClientTracing.RecordedAncestor(current), ownSpan: false);
            }

            if (_client.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
            {
                KedgeClientLog.RoutedThroughKedge(_client.Logger, target.Authority, kedge.Url);
            }

            return balanced
                ? await base.SendAsync(request, cancellationToken).ConfigureAwait(false)
                : await target.Connections.SendAsync(request, target.UsesTls, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            traceHeaders?.Restore();
            callerState.Restore(request);
        }
    }

    /// <summary>Counts a failed send and returns the exception the caller sees.</summary>
    private Exception OnTransportFailure(KedgeTarget target, Exception ex, CancellationToken cancellationToken)
    {
        _client.Metrics.Request(target.MappingRule, ex is OperationCanceledException && cancellationToken.IsCancellationRequested ? KedgeClientMetrics.Cancelled : KedgeClientMetrics.TransportError);

        // SocketsHttpHandler reports a failed ConnectCallback as a generic connection error; the TLS failure
        // inside says what is wrong (untrusted kedge, wrong name, refused client certificate).
        if (ex is HttpRequestException { InnerException: HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } tls })
        {
            ExceptionDispatchInfo.Throw(tls);
        }

        // Rethrown with its own stack; the return only satisfies the callers' "throw".
        ExceptionDispatchInfo.Throw(ex);
        return ex;
    }

    private HttpResponseMessage OnResponse(HttpRequestMessage request, HttpResponseMessage response, KedgeTarget target, KedgeEndpoint kedge)
    {
        if (response.Headers.NonValidated.Contains(KedgeError.ErrorHeader) && KedgeError.TryRead(response, out var kedgeError))
        {
            _client.Metrics.Request(target.MappingRule, KedgeClientMetrics.KedgeError);
            return OnKedgeError(request, response, kedge.Url, target.Authority, kedgeError);
        }

        _client.Metrics.Request(target.MappingRule, KedgeClientMetrics.Ok);
        return response;
    }

    private static ValueTask<string> StartToken(KedgeTokenSource? source, CancellationToken cancellationToken)
    {
        if (source is null)
        {
            return default;
        }

        try
        {
            return source.GetTokenAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            // A source that throws instead of returning a faulted task fails the same way.
            return ValueTask.FromException<string>(ex);
        }
    }

    private async ValueTask<string> GetBearerAsync(ValueTask<string> pending, KedgeTokenSource source, KedgeTarget target, CancellationToken cancellationToken)
    {
        try
        {
            return source.GetBearerHeaderValue(await pending.ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw TokenFailure(source, target, ex);
        }
    }

    private HttpResponseMessage OnKedgeError(HttpRequestMessage request, HttpResponseMessage response, Uri kedgeUrl, string target, KedgeError error)
    {
        KedgeClientLog.KedgeErrorResponse(_client.Logger, kedgeUrl, (int)response.StatusCode, target, error.Type, error.Message);
        if (!IsGrpc(request) || response.Headers.Contains(GrpcTrailersOnly.StatusHeader))
        {
            return response;
        }

        // Kedge answered a gRPC call with a plain HTTP error (as Go kedge does for routing failures). Turn it into a
        // trailers-only gRPC response so the caller sees a meaningful status instead of "Bad gRPC response".
        var grpcResponse = new HttpResponseMessage((HttpStatusCode)GrpcTrailersOnly.HttpStatus)
        {
            RequestMessage = request,
            Version = response.Version,
            Content = new ByteArrayContent([]),
        };
        foreach (var (name, value) in GrpcTrailersOnly.Headers(GrpcStatusFor(error), error.ToString()))
        {
            // content-type belongs to the content's headers; the others to the response's.
            _ = grpcResponse.Headers.TryAddWithoutValidation(name, value) || grpcResponse.Content.Headers.TryAddWithoutValidation(name, value);
        }

        grpcResponse.Headers.TryAddWithoutValidation(KedgeError.ErrorHeader, error.Message);
        if (error.Type is not null)
        {
            grpcResponse.Headers.TryAddWithoutValidation(KedgeError.ErrorTypeHeader, error.Type);
        }

        response.Dispose();
        return grpcResponse;
    }

    private static bool IsGrpc(HttpRequestMessage request)
    {
        var mediaType = request.Content?.Headers.ContentType?.MediaType;
        return mediaType is not null
            && mediaType.StartsWith(GrpcContentType, StringComparison.OrdinalIgnoreCase)
            && !mediaType.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The gRPC status for kedge's error: the vocabulary's for a known type, else gRPC's HTTP status mapping.</summary>
    internal static StatusCode GrpcStatusFor(KedgeError error) => KedgeErrorKind.Find(error.Type) switch
    {
        { } kind => kind.GrpcStatusFor((int)error.StatusCode),
        null => error.StatusCode switch
        {
            HttpStatusCode.BadRequest => StatusCode.Internal,
            HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
            HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
            HttpStatusCode.NotFound => StatusCode.Unimplemented,
            HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => StatusCode.Unavailable,
            _ => StatusCode.Unknown,
        },
    };
}
