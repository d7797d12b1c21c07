namespace Kedge.Winch.Configuration;

/// <summary>Winch's mapper routes (in config order) and auth sources (by name), read from Go winch's JSON.</summary>
internal sealed record WinchConfig(IReadOnlyList<WinchRouteConfig> Routes, IReadOnlyDictionary<string, AuthSourceConfig> AuthSources);
