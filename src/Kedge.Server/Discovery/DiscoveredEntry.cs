namespace Kedge.Server.Discovery;

/// <summary>A generated route or backend and the Service (<c>namespace/name</c>) it came from.</summary>
internal readonly record struct DiscoveredEntry<T>(string Service, T Options);
