namespace Kedge.Server.Discovery;

/// <summary>What service discovery last did: the labelled Services it saw, when it last applied them, and its last error.</summary>
internal sealed record DiscoveryStatus(int Services, DateTimeOffset? AppliedAt, string? LastError, DateTimeOffset? LastErrorAt);
