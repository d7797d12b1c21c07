namespace Kedge.Common.Checks;

/// <summary>The verdict of one check line: ✔, ⚠ or ✘.</summary>
internal enum CheckStatus
{
    /// <summary>✔ what was checked is as it should be.</summary>
    Pass,

    /// <summary>⚠ works today, but needs attention (a certificate that expires soon, a backend no route uses).</summary>
    Warn,

    /// <summary>✘ broken: calls that depend on it fail.</summary>
    Fail,
}
