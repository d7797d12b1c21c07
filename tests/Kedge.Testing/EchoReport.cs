namespace Kedge.Testing;

/// <summary>What the echo endpoint saw of a request.</summary>
public sealed record EchoReport
{
    public string Method { get; init; } = "";

    public string Path { get; init; } = "";

    /// <summary>The request target as it arrived on the wire (HTTP/1.1 request line or HTTP/2 <c>:path</c>), before any decoding.</summary>
    public string RawTarget { get; init; } = "";

    public string Query { get; init; } = "";

    /// <summary>The Host header (HTTP/1.1) or :authority (HTTP/2).</summary>
    public string Host { get; init; } = "";

    public string Protocol { get; init; } = "";

    public string Scheme { get; init; } = "";

    /// <summary>The TLS server name the client sent, or empty for plain text.</summary>
    public string Sni { get; init; } = "";

    /// <summary>The client certificate's subject, or empty when none was presented.</summary>
    public string ClientCertificateSubject { get; init; } = "";

    public string ConnectionId { get; init; } = "";

    public Dictionary<string, string> Headers { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public string Body { get; init; } = "";
}
