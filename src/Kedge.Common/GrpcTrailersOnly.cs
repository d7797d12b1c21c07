using System.Globalization;
using Grpc.Core;

namespace Kedge.Common;

/// <summary>
/// The one rule for answering a gRPC call with an error before any message: a trailers-only response (HTTP 200, no
/// body) whose headers carry the status and its percent-encoded message. kedge and winch apply it to an ASP.NET Core
/// response, Kedge.Client to an <see cref="HttpResponseMessage"/>; this type stays free of ASP.NET Core so the client
/// package does not need it.
/// </summary>
public static class GrpcTrailersOnly
{
    /// <summary>The HTTP status of a trailers-only response.</summary>
    public const int HttpStatus = 200;

    /// <summary>The gRPC content type.</summary>
    public const string ContentType = "application/grpc";

    /// <summary>The header (trailer) with the numeric gRPC status.</summary>
    public const string StatusHeader = "grpc-status";

    /// <summary>The header (trailer) with the percent-encoded status message.</summary>
    public const string MessageHeader = "grpc-message";

    /// <summary>The headers of a trailers-only response with <paramref name="status"/> and <paramref name="message"/>.</summary>
    /// <param name="status">The gRPC status.</param>
    /// <param name="message">The status message, unencoded.</param>
    /// <returns><c>content-type</c>, <see cref="StatusHeader"/> and <see cref="MessageHeader"/> with their values.</returns>
    public static IReadOnlyList<KeyValuePair<string, string>> Headers(StatusCode status, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return
        [
            new("content-type", ContentType),
            new(StatusHeader, ((int)status).ToString(CultureInfo.InvariantCulture)),
            new(MessageHeader, Uri.EscapeDataString(message)),
        ];
    }
}
