using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Kedge.Common.Checks;

/// <summary>
/// The lines of a check run, as a table for people or JSON for machines, and the exit code: 0 when every line is ✔,
/// 1 when any is ✘, 2 when the worst is ⚠.
/// </summary>
internal sealed class CheckReport(IReadOnlyList<CheckResult> results)
{
    public const int ExitAllPassed = 0;
    public const int ExitFailed = 1;
    public const int ExitWarnings = 2;

    public IReadOnlyList<CheckResult> Results { get; } = results;

    public int ExitCode => Results.Any(r => r.Status == CheckStatus.Fail) ? ExitFailed
        : Results.Any(r => r.Status == CheckStatus.Warn) ? ExitWarnings
        : ExitAllPassed;

    /// <summary>The symbol a line starts with.</summary>
    public static string Symbol(CheckStatus status) => status switch
    {
        CheckStatus.Pass => "✔",
        CheckStatus.Warn => "⚠",
        _ => "✘",
    };

    /// <summary>The status as it appears in JSON: <c>pass</c>, <c>warn</c> or <c>fail</c>.</summary>
    public static string Name(CheckStatus status) => status switch
    {
        CheckStatus.Pass => "pass",
        CheckStatus.Warn => "warn",
        _ => "fail",
    };

    /// <summary>
    /// The table: a heading per area (in the order areas first appear), a line per check with its symbol, name and
    /// what it found, the fix on the next line, and a count at the end.
    /// </summary>
    public string ToTable()
    {
        var text = new StringBuilder();
        var width = Results.Count == 0 ? 0 : Results.Max(r => r.Name.Length);
        foreach (var area in Results.GroupBy(r => r.Area))
        {
            text.Append(area.Key).Append('\n');
            foreach (var result in area)
            {
                text.Append("  ").Append(Symbol(result.Status)).Append(' ').Append(result.Name.PadRight(width)).Append("  ").Append(result.Found).Append('\n');
                if (result.Fix is { } fix)
                {
                    text.Append("  ").Append(' ', width + 2).Append("  fix: ").Append(fix).Append('\n');
                }
            }

            text.Append('\n');
        }

        var passed = Results.Count(r => r.Status == CheckStatus.Pass);
        var warned = Results.Count(r => r.Status == CheckStatus.Warn);
        var failed = Results.Count(r => r.Status == CheckStatus.Fail);
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{passed} passed, {warned} warning{(warned == 1 ? string.Empty : "s")}, {failed} failed\n");
        return text.ToString();
    }

    /// <summary>
    /// Written for a terminal or a pipe, not for HTML: quotes and non-ASCII stay readable (<c>'</c>, not <c>\u0027</c>).
    /// <c>{"status":"fail","exit_code":1,"passed":3,"warnings":0,"failed":1,"checks":[{"area":…,"name":…,"status":"fail","found":…,"fix":…}]}</c>.
    /// </summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("status", ExitCode switch { ExitFailed => "fail", ExitWarnings => "warn", _ => "pass" });
            json.WriteNumber("exit_code", ExitCode);
            json.WriteNumber("passed", Results.Count(r => r.Status == CheckStatus.Pass));
            json.WriteNumber("warnings", Results.Count(r => r.Status == CheckStatus.Warn));
            json.WriteNumber("failed", Results.Count(r => r.Status == CheckStatus.Fail));
            json.WriteStartArray("checks");
            foreach (var result in Results)
            {
                json.WriteStartObject();
                json.WriteString("area", result.Area);
                json.WriteString("name", result.Name);
                json.WriteString("status", Name(result.Status));
                json.WriteString("found", result.Found);
                if (result.Fix is { } fix)
                {
                    json.WriteString("fix", fix);
                }
                else
                {
                    json.WriteNull("fix");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
