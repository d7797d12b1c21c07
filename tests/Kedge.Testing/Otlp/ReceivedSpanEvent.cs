namespace Kedge.Testing.Otlp;

/// <summary>A span event (a retry, an ejection, an exception) as the exporter sent it.</summary>
public sealed record ReceivedSpanEvent(string Name, IReadOnlyDictionary<string, string> Attributes);
