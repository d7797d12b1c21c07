namespace Kedge.Testing.Prometheus;

/// <summary>What <c>promtool</c> said: its exit code (0 = clean, 1 = parse error, 3 = lint problems) and its output.</summary>
public sealed record PromtoolResult(int ExitCode, string Output)
{
    public bool Passed => ExitCode == 0;

    public override string ToString() => $"promtool exit code {ExitCode}:\n{Output}";
}
