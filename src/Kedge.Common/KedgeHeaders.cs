namespace Kedge.Common;

/// <summary>The headers kedge, winch and Kedge.Client exchange (Go kedge's names, kept for compatibility).</summary>
public static class KedgeHeaders
{
    /// <summary>Response: the text of an error kedge itself reported (printable ASCII).</summary>
    public const string Error = "X-Kedge-Error";

    /// <summary>Response: the type of an error kedge itself reported, one of <see cref="KedgeErrorKind.All"/>.</summary>
    public const string ErrorType = "X-Kedge-Error-Type";

    /// <summary>Request and response: the request id kedge logs and forwards.</summary>
    public const string RequestId = "X-Kedge-Request-ID";

    /// <summary>
    /// Request: asks kedge to log this request at Information when it is proxied (at Error when it fails), with the
    /// header's value; winch sends <c>winch-$USER</c> with <c>--debug_mode</c>. Forwarded to the backend unchanged.
    /// </summary>
    public const string InfoLogs = "X-Kedge-Info-Logs";
}
