using System.Text.Json;
using Xunit;

namespace Kedge.Testing;

/// <summary>
/// Finds one line of a <c>kedge check</c> / <c>winch check</c> report, in any of its forms (the table, the JSON, the
/// results), and fails with the whole report when the line is not there exactly once.
/// </summary>
public static class CheckLines
{
    /// <summary>The first table line <c>symbol name found</c> (✔, ⚠ or ✘ then the check's name; an area may print several under one name).</summary>
    public static string TableLine(string table, string symbol, string name)
    {
        ArgumentNullException.ThrowIfNull(table);
        var line = table.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith(symbol + " " + name + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no line '{symbol} {name}' in:\n{table}");
        return line;
    }

    /// <summary>The fix line printed under the table line <c>symbol name</c>.</summary>
    public static string TableFixOf(string table, string symbol, string name)
    {
        ArgumentNullException.ThrowIfNull(table);
        var lines = table.Split('\n');
        var at = Array.IndexOf(lines, TableLine(table, symbol, name));
        Assert.True(at + 1 < lines.Length, $"no fix line under '{symbol} {name}' in:\n{table}");
        return lines[at + 1].Trim();
    }

    /// <summary>Asserts the table line <c>symbol name</c> exists and contains <paramref name="found"/>.</summary>
    public static void AssertTableLine(string table, string symbol, string name, string found)
        => Assert.Contains(found, TableLine(table, symbol, name), StringComparison.Ordinal);

    /// <summary>The lines of a JSON report (<c>CheckReport.ToJson()</c>, <c>--output=json</c>).</summary>
    public static IEnumerable<JsonElement> JsonLines(JsonDocument json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return json.RootElement.GetProperty("checks").EnumerateArray();
    }

    /// <summary>The one line of a JSON report with this area and name.</summary>
    public static JsonElement JsonLine(JsonDocument json, string area, string name)
        => Single(JsonLines(json), l => l.GetProperty("area").GetString() == area && l.GetProperty("name").GetString() == name, $"'{area}' / '{name}'", json.RootElement.GetRawText());

    /// <summary>The one result of <paramref name="results"/> that <paramref name="match"/> picks (CheckResult lists: <c>r =&gt; r.Name == name</c>).</summary>
    public static T Single<T>(IEnumerable<T> results, Func<T, bool> match, string described, string report)
    {
        var found = results.Where(match).ToList();
        Assert.True(found.Count == 1, $"one line {described} expected, {found.Count} found in:\n{report}");
        return found[0];
    }
}
