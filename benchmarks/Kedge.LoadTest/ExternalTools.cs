using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Kedge.LoadTest;

/// <summary>Runs wrk and h2load (Debian packages) and reads their reports.</summary>
internal static partial class ExternalTools
{
    public static async Task<LoadResult> WrkAsync(string target, string url, TimeSpan duration, int connections)
    {
        var output = await RunAsync("wrk", $"-t1 -c{connections} -d{(int)duration.TotalSeconds}s --latency {url}");
        var rps = Number(RequestsPerSecond().Match(output));
        var p50 = Millis(Percentile().Matches(output).FirstOrDefault(m => m.Groups["p"].Value == "50"));
        var p99 = Millis(Percentile().Matches(output).FirstOrDefault(m => m.Groups["p"].Value == "99"));
        var non2xx = NonSuccess().Match(output);
        var errors = non2xx.Success ? long.Parse(non2xx.Groups["n"].Value, CultureInfo.InvariantCulture) : 0;
        return new LoadResult(target, "HTTP/1.1 (wrk)", rps, p50, p99, errors) { DurationSeconds = duration.TotalSeconds };
    }

    public static async Task<LoadResult> H2LoadAsync(string target, string url, TimeSpan duration, int connections, int streams)
    {
        var output = await RunAsync("h2load", $"-D {(int)duration.TotalSeconds} -c {connections} -m {streams} -t 1 {url}");
        var rps = Number(H2Rps().Match(output));
        var mean = H2Mean().Match(output);
        var meanMs = mean.Success ? ToMillis(mean.Groups["v"].Value, mean.Groups["u"].Value) : double.NaN;
        var failed = H2Failed().Match(output);
        var errors = failed.Success ? long.Parse(failed.Groups["n"].Value, CultureInfo.InvariantCulture) : 0;
        return new LoadResult(target, "HTTP/2 (h2load)", rps, meanMs, meanMs, errors, "latency: mean") { DurationSeconds = duration.TotalSeconds };
    }

    public static async Task<string> RunAsync(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await stdout + await stderr;
    }

    private static double Number(Match match) => match.Success ? double.Parse(match.Groups["v"].Value, CultureInfo.InvariantCulture) : double.NaN;

    private static double Millis(Match? match) => match is null ? double.NaN : ToMillis(match.Groups["v"].Value, match.Groups["u"].Value);

    private static double ToMillis(string value, string unit)
    {
        var v = double.Parse(value, CultureInfo.InvariantCulture);
        return unit switch { "us" => v / 1000, "ms" => v, "s" => v * 1000, _ => double.NaN };
    }

    [GeneratedRegex(@"Requests/sec:\s+(?<v>[0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"^\s+(?<p>50|99)%\s+(?<v>[0-9.]+)(?<u>us|ms|s)\s*$", RegexOptions.Multiline)]
    private static partial Regex Percentile();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(?<n>[0-9]+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"finished in [0-9.]+s, (?<v>[0-9.]+) req/s")]
    private static partial Regex H2Rps();

    [GeneratedRegex(@"time for request:\s+[0-9.]+(?:us|ms|s)\s+[0-9.]+(?:us|ms|s)\s+(?<v>[0-9.]+)(?<u>us|ms|s)")]
    private static partial Regex H2Mean();

    [GeneratedRegex(@"requests: .* (?<n>[0-9]+) failed")]
    private static partial Regex H2Failed();
}
