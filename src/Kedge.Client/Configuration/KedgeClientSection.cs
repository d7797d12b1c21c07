namespace Kedge.Client.Configuration;

/// <summary>The configuration path the options were bound from, so errors name the real keys.</summary>
internal sealed record KedgeClientSection(string Path);
