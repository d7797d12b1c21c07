namespace Kedge.LoadTest;

/// <summary>
/// Measures targets in interleaved rounds and keeps each target's median round: on two shared cores single runs vary by
/// 10% or more, and interleaving spreads any drift evenly over the targets.
/// </summary>
internal static class Rounds
{
    public static async Task<List<LoadResult>> MeasureAsync(int rounds, IReadOnlyList<(string Name, int? Pid, Func<Task<LoadResult>> Run)> targets)
    {
        var runs = targets.ToDictionary(t => t.Name, _ => new List<LoadResult>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, pid, run) in targets)
            {
                var result = await CpuMeter.MeasureAsync(pid, run);
                runs[name].Add(result);
                Console.WriteLine($"  round {round + 1}: {result.Target,-12} {result.Protocol,-20} {result.RequestsPerSecond,10:F0} req/s  p50 {result.P50Ms,7:F2} ms  p99 {result.P99Ms,7:F2} ms  cpu {result.CpuMicrosPerRequest,6:F1} us/req  errors {result.Errors}");
            }
        }

        var medians = new List<LoadResult>();
        foreach (var (name, _, _) in targets)
        {
            var sorted = runs[name].OrderBy(r => r.RequestsPerSecond).ToList();
            // CPU per request is steadier than req/s; its median is taken on its own.
            var cpu = runs[name].Select(r => r.CpuMicrosPerRequest).Order().ToList();
            medians.Add(sorted[sorted.Count / 2] with { Errors = runs[name].Sum(r => r.Errors), CpuMicrosPerRequest = cpu[cpu.Count / 2] });
        }

        return medians;
    }
}
