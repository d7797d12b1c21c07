namespace Kedge.Server.Dashboard;

/// <summary>Kubernetes service discovery: on or off, ready, the labelled Services it sees, conflicts and its last error.</summary>
internal sealed record DiscoveryView(
    bool Enabled,
    bool Ready,
    string Label,
    int Services,
    int Conflicts,
    DateTimeOffset? AppliedAt,
    string? LastError,
    DateTimeOffset? LastErrorAt);
