using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Deploy;

/// <summary>
/// deploy/grafana/kedge-dashboard.json and the README's example queries use only the metric contract
/// (<see cref="KedgeMetricContract"/>), cover the views the issue asks for, and are PromQL that promtool accepts.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    private const string Promtool = "/usr/bin/promtool";
    private static readonly string Root = KubernetesManifestTests.RepositoryRoot();
    private static readonly JsonNode Dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "deploy", "grafana", "kedge-dashboard.json")))!;

    /// <summary>Every query of the dashboard: panel targets, and the selectors of the template variables' label_values().</summary>
    private static List<(string Where, string Expression, string? Legend)> DashboardQueries()
    {
        var queries = new List<(string, string, string?)>();
        foreach (var panel in Panels())
        {
            foreach (var target in panel["targets"]?.AsArray() ?? [])
            {
                queries.Add(($"panel '{panel["title"]}' target {target!["refId"]}", (string)target["expr"]!, (string?)target["legendFormat"]));
            }
        }

        foreach (var variable in Variables().Where(v => (string?)v["type"] == "query"))
        {
            var query = (string)variable["query"]!;
            var match = LabelValuesQuery().Match(query);
            Assert.True(match.Success, $"variable '{variable["name"]}': expected label_values(<selector>, <label>), got {query}");

            // As PromQL: the variable lists the label's values on that selector.
            queries.Add(($"variable '{variable["name"]}'", $"count by ({match.Groups["label"].Value}) ({match.Groups["selector"].Value})", null));
        }

        return queries;
    }

    /// <summary>The README's "Dashboard panels" table: panel title and example PromQL.</summary>
    private static List<(string Panel, string Expression)> ReadmeExamples()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md")).ReplaceLineEndings("\n");
        var start = readme.IndexOf("\n## Observability\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## Observability' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = readme[start..(end < 0 ? readme.Length : end)];
        return [.. ReadmeExampleRow().Matches(section).Select(m => (m.Groups["panel"].Value.Trim(), m.Groups["expr"].Value))];
    }

    private static IEnumerable<JsonNode> Panels()
    {
        foreach (var panel in Dashboard["panels"]!.AsArray())
        {
            yield return panel!;
            foreach (var inner in panel!["panels"]?.AsArray() ?? [])
            {
                yield return inner!;
            }
        }
    }

    private static IEnumerable<JsonNode> Variables() => Dashboard["templating"]!["list"]!.AsArray().Select(v => v!);

    [Fact]
    public void Dashboard_EveryQuery_UsesOnlyContractSeriesLabelsAndValues()
    {
        var queries = DashboardQueries();

        var problems = queries.SelectMany(q => ContractProblems(q.Where, q.Expression, q.Legend)).ToList();

        Assert.True(queries.Count >= 15, $"only {queries.Count} queries found: the dashboard was not read as expected");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void ReadmeExamples_OnePerDashboardPanel_UseOnlyTheContract()
    {
        var examples = ReadmeExamples();
        var panelTitles = Panels().Where(p => (string?)p["type"] != "row").Select(p => (string)p["title"]!).Order(StringComparer.Ordinal);

        Assert.Equal(panelTitles, examples.Select(e => e.Panel).Order(StringComparer.Ordinal));
        var problems = examples.SelectMany(e => ContractProblems($"README example '{e.Panel}'", e.Expression, null)).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Dashboard_Panels_CoverTheIssuesViewsWithTheVariables()
    {
        var queries = DashboardQueries();
        var expressions = queries.Where(q => q.Where.StartsWith("panel", StringComparison.Ordinal)).Select(q => q.Expression).ToList();
        var used = expressions.SelectMany(e => PromQlReferences.Scan(e).Selectors.Select(s => s.Series)).ToHashSet(StringComparer.Ordinal);

        Assert.Subset(used, new HashSet<string>(StringComparer.Ordinal)
        {
            "kedge_requests_total", "kedge_request_duration_seconds_bucket", "kedge_backend_endpoints", "kedge_proxy_errors_total",
            "kedge_config_reloads_total", "kedge_config_last_reload_success_timestamp_seconds", "kedge_certificate_expiry_timestamp_seconds",
            "process_working_set_bytes", "process_cpu_seconds_total",
        });
        Assert.Contains(expressions, e => e.StartsWith("histogram_quantile(0.5,", StringComparison.Ordinal) && e.Contains("kedge_request_duration_seconds_bucket", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.StartsWith("histogram_quantile(0.99,", StringComparison.Ordinal) && e.Contains("kedge_request_duration_seconds_bucket", StringComparison.Ordinal));

        // A Prometheus data source chosen by variable, used by every panel and query.
        var datasource = Variables().Single(v => (string?)v["name"] == "datasource");
        Assert.Equal(("datasource", "prometheus"), ((string?)datasource["type"], (string?)datasource["query"]));
        foreach (var node in Panels().Where(p => (string?)p["type"] != "row").SelectMany(p => (p["targets"]?.AsArray() ?? []).Prepend(p)))
        {
            Assert.Equal("${datasource}", (string?)node!["datasource"]?["uid"]);
        }

        // Per route and backend: every selector of a series that carries the label filters on the dashboard's variable.
        var names = Variables().Select(v => (string)v["name"]!).ToHashSet(StringComparer.Ordinal);
        Assert.Subset(names, new HashSet<string>(StringComparer.Ordinal) { "route", "backend_name" });
        foreach (var expression in expressions)
        {
            foreach (var (series, matchers) in PromQlReferences.Scan(expression).Selectors)
            {
                foreach (var label in new[] { "route", "backend_name", "job", "instance" }.Where(l => KedgeMetricContract.Series[series].Contains(l) || KedgeMetricContract.TargetLabels.Contains(l)))
                {
                    Assert.True(matchers.Contains((label, "=~", "$" + label)), $"{series} in '{expression}' does not filter on {label}=~\"${label}\"");
                }
            }
        }
    }

    [Fact]
    public async Task DashboardAndReadmeQueries_CheckedAsRecordingRules_PromtoolAccepts()
    {
        Assert.True(File.Exists(Promtool), $"{Promtool} is missing: install Debian's 'prometheus' package (.ci/run does).");
        var expressions = DashboardQueries().Select(q => q.Expression).Concat(ReadmeExamples().Select(e => e.Expression)).ToList();
        var rules = new StringBuilder("groups:\n  - name: kedge-dashboard\n    rules:\n");
        for (var i = 0; i < expressions.Count; i++)
        {
            rules.Append(System.Globalization.CultureInfo.InvariantCulture, $"      - record: kedge_dashboard:query_{i}\n        expr: {JsonSerializer.Serialize(AsPrometheusWouldRunIt(expressions[i], "5m"))}\n");
        }

        using var dir = new TempDirectory();
        var file = dir.Combine("kedge-dashboard.rules.yml");
        await File.WriteAllTextAsync(file, rules.ToString());
        using var promtool = Process.Start(new ProcessStartInfo(Promtool) { ArgumentList = { "check", "rules", file }, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = promtool.StandardOutput.ReadToEndAsync();
        var error = promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(promtool.ExitCode == 0, $"promtool check rules failed:\n{await output}\n{await error}\n{rules}");
        Assert.Contains($"{expressions.Count} rules found", await output, StringComparison.Ordinal);
    }

    [Fact]
    public void ContractProblems_NamesOutsideTheContract_EachReported()
    {
        var problems = ContractProblems(
            "q",
            """sum by (host) (rate(kedge_request_total{route=~"$route"}[5m])) / on (instance) sum(kedge_requests_total{backend="a", code_class="500", protocol=~"http|h3"})""",
            "{{path}}").ToList();

        Assert.Equal(
            [
                "q: series 'kedge_request_total' is not in the metric contract",
                "q: 'kedge_requests_total' has no label 'backend' in the metric contract",
                "q: 'kedge_requests_total' label 'code_class' never has the value '500' (contract: 1xx, 2xx, 3xx, 4xx, 5xx)",
                "q: 'kedge_requests_total' label 'protocol' never has the value 'h3' (contract: http, grpc)",
                "q: label 'host' is on none of the series of 'sum by (host) (rate(kedge_request_total{route=~\"$route\"}[5m])) / on (instance) sum(kedge_requests_total{backend=\"a\", code_class=\"500\", protocol=~\"http|h3\"})'",
                "q: label 'path' is on none of the series of 'sum by (host) (rate(kedge_request_total{route=~\"$route\"}[5m])) / on (instance) sum(kedge_requests_total{backend=\"a\", code_class=\"500\", protocol=~\"http|h3\"})'",
            ],
            problems);
    }

    /// <summary>A dashboard query with Grafana's variables expanded as a user's selection would: the interval, and "all" for the rest.</summary>
    internal static string AsPrometheusWouldRunIt(string expression, string interval)
        => GrafanaVariable().Replace(GrafanaInterval().Replace(expression, interval), ".*");

    private static IEnumerable<string> ContractProblems(string where, string expression, string? legend)
    {
        PromQlReferences references;
        try
        {
            references = PromQlReferences.Scan(expression);
        }
        catch (FormatException ex)
        {
            return [$"{where}: {ex.Message}"];
        }

        var problems = new List<string>();
        var available = new HashSet<string>(KedgeMetricContract.TargetLabels, StringComparer.Ordinal);
        if (references.Selectors.Count == 0)
        {
            problems.Add($"{where}: no series in '{expression}'");
        }

        foreach (var (series, matchers) in references.Selectors)
        {
            if (!KedgeMetricContract.Series.TryGetValue(series, out var labels))
            {
                problems.Add($"{where}: series '{series}' is not in the metric contract");
                continue;
            }

            available.UnionWith(labels);
            foreach (var (label, op, value) in matchers)
            {
                if (!labels.Contains(label) && !KedgeMetricContract.TargetLabels.Contains(label))
                {
                    problems.Add($"{where}: '{series}' has no label '{label}' in the metric contract");
                }
                else if (op is "=" or "=~" && !value.Contains('$', StringComparison.Ordinal) && KedgeMetricContract.BoundedValues.TryGetValue((series, label), out var allowed))
                {
                    foreach (var one in op == "=" ? [value] : value.Split('|'))
                    {
                        if (!allowed.Contains(one))
                        {
                            problems.Add($"{where}: '{series}' label '{label}' never has the value '{one}' (contract: {string.Join(", ", allowed)})");
                        }
                    }
                }
            }
        }

        foreach (var label in references.GroupingLabels.Concat(LegendLabel().Matches(legend ?? string.Empty).Select(m => m.Groups[1].Value)))
        {
            if (!available.Contains(label))
            {
                problems.Add($"{where}: label '{label}' is on none of the series of '{expression}'");
            }
        }

        return problems;
    }

    [GeneratedRegex(@"^label_values\((?<selector>.+),\s*(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\)$")]
    private static partial Regex LabelValuesQuery();

    [GeneratedRegex(@"^\| (?<panel>[^|`]+) \| `(?<expr>[^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex ReadmeExampleRow();

    [GeneratedRegex(@"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")]
    private static partial Regex LegendLabel();

    [GeneratedRegex(@"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}")]
    private static partial Regex GrafanaInterval();

    [GeneratedRegex(@"\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?")]
    private static partial Regex GrafanaVariable();
}
