using Microsoft.Extensions.Configuration;

namespace Kedge.Client.Configuration;

/// <summary>
/// Where the options were bound from: the configuration path, so errors name the real keys, and the section itself
/// (<see langword="null"/> for options set in code), so keys that no setting reads are found.
/// </summary>
internal sealed record KedgeClientSection(string Path, IConfiguration? Configuration = null)
{
    /// <summary>Options set in code: errors name keys under <c>Kedge</c>, the conventional section.</summary>
    public static readonly KedgeClientSection Code = new(KedgeClientOptionsCompiler.DefaultSectionName);
}
