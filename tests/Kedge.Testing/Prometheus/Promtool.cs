using System.Diagnostics;

namespace Kedge.Testing.Prometheus;

/// <summary>Runs the real <c>promtool</c> (Debian package <c>prometheus</c>).</summary>
public static class Promtool
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// <c>promtool check metrics</c> on <paramref name="exposition"/> (Prometheus text format, given on stdin): the
    /// text must parse and pass promtool's lint (help text present, counters end in <c>_total</c>, no reserved names).
    /// </summary>
    public static async Task<PromtoolResult> CheckMetricsAsync(string exposition)
    {
        RealBinary.Require(RealBinary.Promtool);
        var start = new ProcessStartInfo(RealBinary.Promtool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("check");
        start.ArgumentList.Add("metrics");
        using var process = Process.Start(start)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                await process.StandardInput.WriteAsync(exposition).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // promtool stops reading at the first parse error and exits; its exit code and output say why.
            }

            using var timeout = new CancellationTokenSource(Limit);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            var output = string.Join('\n', new[] { await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false) }.Where(s => s.Length > 0));
            return new PromtoolResult(process.ExitCode, output.TrimEnd());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
