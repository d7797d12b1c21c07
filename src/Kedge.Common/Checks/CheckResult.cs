namespace Kedge.Common.Checks;

/// <summary>One line of a check report.</summary>
/// <param name="Area">The group the line belongs to ("configuration", "certificates", "backend orders", …).</param>
/// <param name="Name">What was checked, short ("server certificate expiry", "endpoint 10.0.0.7:8080").</param>
/// <param name="Status">The verdict.</param>
/// <param name="Found">What the check found, as a sentence with the facts (names, values, where they came from).</param>
/// <param name="Fix">What to do about it; null on a pass.</param>
internal sealed record CheckResult(string Area, string Name, CheckStatus Status, string Found, string? Fix = null)
{
    public static CheckResult Pass(string area, string name, string found) => new(area, name, CheckStatus.Pass, found);

    public static CheckResult Warn(string area, string name, string found, string fix) => new(area, name, CheckStatus.Warn, found, fix);

    public static CheckResult Fail(string area, string name, string found, string fix) => new(area, name, CheckStatus.Fail, found, fix);
}
