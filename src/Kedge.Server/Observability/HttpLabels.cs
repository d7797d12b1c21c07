using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Observability;

/// <summary>
/// Bounded label values for what an HTTP request carries: the standard methods (anything else is one value), the protocol
/// version and the status code, each a cached string so recording allocates none.
/// </summary>
internal static class HttpLabels
{
    /// <summary>The Go-compatible <c>method</c> label (go-httpwares used the method as sent; kedge bounds it).</summary>
    public static readonly string[] GoMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "other"];

    /// <summary>The semantic-convention <c>http.request.method</c>: unknown methods are <c>_OTHER</c>.</summary>
    public static readonly string[] SemconvMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "_OTHER"];

    /// <summary>The semantic-convention <c>network.protocol.version</c>.</summary>
    public static readonly string[] Versions = ["1.1", "2", "3", "1.0", string.Empty];

    private static readonly string[] StatusCodes = [.. Enumerable.Range(0, 1000).Select(code => code.ToString(CultureInfo.InvariantCulture))];

    public static int MethodIndex(string method)
        => HttpMethods.IsGet(method) ? 0
            : HttpMethods.IsHead(method) ? 1
            : HttpMethods.IsPost(method) ? 2
            : HttpMethods.IsPut(method) ? 3
            : HttpMethods.IsPatch(method) ? 4
            : HttpMethods.IsDelete(method) ? 5
            : HttpMethods.IsOptions(method) ? 6
            : HttpMethods.IsConnect(method) ? 7
            : HttpMethods.IsTrace(method) ? 8
            : 9;

    public static int VersionIndex(string protocol)
        => HttpProtocol.IsHttp11(protocol) ? 0
            : HttpProtocol.IsHttp2(protocol) ? 1
            : HttpProtocol.IsHttp3(protocol) ? 2
            : HttpProtocol.IsHttp10(protocol) ? 3
            : 4;

    /// <summary>
    /// The <c>error.type</c> of a request, the same for the metric label and the span: kedge's own error type, else the
    /// status code of a 5xx answer, else null (no error).
    /// </summary>
    public static string? ErrorType(string? kedgeErrorType, int statusCode) => kedgeErrorType ?? (statusCode >= 500 ? Status(statusCode) : null);

    /// <summary>The status code as a label value (Kestrel only sends 100–999).</summary>
    public static string Status(int code) => (uint)code < StatusCodes.Length ? StatusCodes[code] : code.ToString(CultureInfo.InvariantCulture);
}
