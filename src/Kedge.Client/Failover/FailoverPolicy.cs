namespace Kedge.Client.Failover;

/// <summary>What may move a call to the next kedge of its route.</summary>
internal static class FailoverPolicy
{
    /// <summary>
    /// The largest response body (of known length) read within the attempt for a call that may be resent: 64 KiB. A
    /// connection that breaks while such a body arrives then moves the call on, instead of failing the caller's read.
    /// </summary>
    public const long MaxBufferedResponseLength = 64 * 1024;

    /// <summary>How far a failed attempt got.</summary>
    public enum Failure
    {
        /// <summary>Nothing reached the kedge: the connection or its TLS handshake failed. Any call may move on.</summary>
        NothingSent,

        /// <summary>The request may have reached the kedge (the connection broke, the response was cut short).</summary>
        MaybeSent,
    }

    /// <summary>Classifies an exception from sending to one kedge; <see langword="null"/> for the caller's own cancellation.</summary>
    public static Failure? Classify(Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException)
        {
            // SocketsHttpHandler reports its ConnectTimeout as a cancellation with a TimeoutException inside.
            return !cancellationToken.IsCancellationRequested && exception.InnerException is TimeoutException ? Failure.NothingSent : null;
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.NameResolutionError })
            {
                return Failure.NothingSent;
            }
        }

        return Failure.MaybeSent;
    }

    /// <summary>
    /// Whether <paramref name="request"/> may be sent again after it may have reached a kedge: an idempotent method
    /// (RFC 9110 §9.2.2) and content that can be sent twice (none, or buffered in memory). A streamed body was read by
    /// the first attempt, so it is never resent.
    /// </summary>
    public static bool CanResend(HttpRequestMessage request)
        => IsIdempotent(request.Method)
            && request.Content is null or ByteArrayContent or ReadOnlyMemoryContent;

    /// <summary>Whether kedge answered that it has no healthy endpoint for the target (another kedge may have one).</summary>
    public static bool IsNoHealthyEndpoint(HttpResponseMessage response)
        => response.Headers.NonValidated.TryGetValues(KedgeError.ErrorTypeHeader, out var values)
            && values.Count == 1
            && values.ToString() is KedgeErrorTypes.NoResolutionAvailable or KedgeErrorTypes.NoConnectionToAllResolvedAddresses;

    private static bool IsIdempotent(HttpMethod method)
        => method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options || method == HttpMethod.Trace
            || method == HttpMethod.Put || method == HttpMethod.Delete;
}
