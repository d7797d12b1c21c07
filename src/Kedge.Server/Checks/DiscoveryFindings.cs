using Microsoft.Extensions.Logging;

namespace Kedge.Server.Checks;

/// <summary>
/// The logger <see cref="Discovery.DiscoveryConfigBuilder"/> is given in a check: it keeps the builder's own conflict
/// (event 1111) and skipped-port (event 1112) findings with their fields, so the check reports exactly what kedge's
/// discovery would decide, without a second copy of its rules.
/// </summary>
internal sealed class DiscoveryFindings : ILogger
{
    private const int ConflictEvent = 1111;
    private const int PortSkippedEvent = 1112;

    public List<(string Loser, string Claim, string Winner)> Conflicts { get; } = [];

    public List<(string Service, string Port, string Reason)> SkippedPorts { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (state is not IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            return;
        }

        string Field(string name) => fields.FirstOrDefault(f => f.Key == name).Value?.ToString() ?? string.Empty;
        if (eventId.Id == ConflictEvent)
        {
            Conflicts.Add((Field("Loser"), Field("Claim"), Field("Winner")));
        }
        else if (eventId.Id == PortSkippedEvent)
        {
            SkippedPorts.Add((Field("Service"), Field("Port"), Field("Reason")));
        }
    }
}
