using System.Globalization;

namespace Kedge.LoadTest;

/// <summary>
/// CPU time (user + system) of a process and its children, read from /proc. On two shared cores the proxy, the backend and
/// the load tool compete, so req/s alone mixes a proxy's own cost with what it leaves for the others; CPU per request
/// measures the proxy's cost directly.
/// </summary>
internal static class CpuMeter
{
    // USER_HZ: 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    public static async Task<LoadResult> MeasureAsync(int? pid, Func<Task<LoadResult>> run)
    {
        if (pid is not { } id)
        {
            return await run();
        }

        var before = Seconds(id);
        var result = await run();
        var spent = Seconds(id) - before;
        var requests = result.RequestsPerSecond * result.DurationSeconds;
        return requests > 0 ? result with { CpuMicrosPerRequest = spent / requests * 1e6 } : result;
    }

    /// <summary>CPU seconds of the process and its direct children (nginx's worker under its master).</summary>
    public static double Seconds(int pid) => Processes.SelfAndChildren(pid).Sum(p => Stat(p)?.CpuSeconds ?? 0);

    /// <summary>The parent's pid and the CPU seconds used, from <c>/proc/&lt;pid&gt;/stat</c>; null once the process is gone.</summary>
    internal static (int ParentPid, double CpuSeconds)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // exited meanwhile
        }

        // The command name (field 2) is in parentheses and may hold spaces; the fields after it are plain.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var parent = int.Parse(fields[1], CultureInfo.InvariantCulture); // field 4
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // fields 14, 15
        return (parent, ticks / TicksPerSecond);
    }
}
