using System.Globalization;

namespace Kedge.Testing;

/// <summary>
/// How many inputs a property-based test (CsCheck) generates. Each property states its own count, sized so that it runs
/// in about a second on two cores; CsCheck's own <c>CsCheck_Iter</c> variable overrides every count, for a deeper run
/// (<c>CsCheck_Iter=1000000 dotnet test --filter FullyQualifiedName~GoDurationProperties</c>). A failing property
/// prints the seed of its shrunk input; <c>CsCheck_Seed=...</c> replays it.
/// </summary>
public static class PropertyRuns
{
    public static long Iterations(long count) =>
        Environment.GetEnvironmentVariable("CsCheck_Iter") is { Length: > 0 } text
            ? long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)
            : count;
}
