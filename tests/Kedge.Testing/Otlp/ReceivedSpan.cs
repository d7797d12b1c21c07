using System.Diagnostics;
using System.Globalization;

namespace Kedge.Testing.Otlp;

/// <summary>One span as an OTLP exporter sent it to <see cref="OtlpTraceReceiver"/>, with ids as lowercase hex.</summary>
public sealed record ReceivedSpan
{
    /// <summary>32 lowercase hex digits, as in a W3C <c>traceparent</c>.</summary>
    public required string TraceId { get; init; }

    /// <summary>16 lowercase hex digits.</summary>
    public required string SpanId { get; init; }

    /// <summary>16 lowercase hex digits; empty for a root span.</summary>
    public required string ParentSpanId { get; init; }

    public required string Name { get; init; }

    public required ActivityKind Kind { get; init; }

    /// <summary>The resource's <c>service.name</c>; empty when the exporter sent none.</summary>
    public required string ServiceName { get; init; }

    /// <summary>The instrumentation scope: the <see cref="ActivitySource"/> name.</summary>
    public required string ScopeName { get; init; }

    /// <summary>Attribute values as invariant strings (<c>true</c>, <c>200</c>, <c>0.5</c>; an array as <c>a,b</c>).</summary>
    public required IReadOnlyDictionary<string, string> Attributes { get; init; }

    public required IReadOnlyDictionary<string, string> ResourceAttributes { get; init; }

    public required IReadOnlyList<ReceivedSpanEvent> Events { get; init; }

    public required ActivityStatusCode Status { get; init; }

    public required string StatusMessage { get; init; }

    /// <summary><c>grpc</c> or <c>http</c>: how the span arrived.</summary>
    public required string Transport { get; init; }

    public bool IsRoot => ParentSpanId.Length == 0;

    public string? Attribute(string key) => Attributes.TryGetValue(key, out var value) ? value : null;

    public override string ToString()
    {
        var attributes = string.Join(", ", Attributes.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Key}={a.Value}")));
        var parent = IsRoot ? "root" : "parent " + ParentSpanId;
        return $"[{ServiceName}] {Kind} '{Name}' ({ScopeName}) trace {TraceId} span {SpanId} {parent} status {Status} {{{attributes}}}";
    }
}
