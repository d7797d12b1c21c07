using System.Diagnostics;
using System.Globalization;
using Kedge.Winch.Commands;

namespace Kedge.Winch.Tests.Infrastructure;

/// <summary>
/// Runs a command to its end and returns its exit code and output. One that outlives the timeout is killed (with its
/// children) and waited for, so no process outlives the test, before the timeout is reported.
/// </summary>
public static class ProcessRun
{
    /// <summary>The built winch (<c>dotnet winch.dll …</c>).</summary>
    public static Task<(int Code, string Stdout, string Stderr)> WinchAsync(IEnumerable<string> args, TimeSpan timeout)
        => RunAsync("dotnet", [typeof(WinchCommand).Assembly.Location, .. args], timeout);

    /// <param name="started">Called with the process's id once it runs (for tests of this runner).</param>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> args, TimeSpan timeout, Action<int>? started = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException(fileName + " did not start");
        started?.Invoke(process.Id);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            // Reaped, and its output drained, before the test goes on.
            await process.WaitForExitAsync();
            var output = await stdout;
            var errors = await stderr;
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"{fileName} did not exit within {timeout.TotalSeconds} s and was killed; stdout: {output}; stderr: {errors}"));
        }

        return (process.ExitCode, (await stdout).ReplaceLineEndings("\n"), await stderr);
    }
}
