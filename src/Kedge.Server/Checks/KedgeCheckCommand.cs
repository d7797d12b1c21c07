using Kedge.Common.Checks;
using Kedge.GoCompat;
using Kedge.Server.Hosting;

namespace Kedge.Server.Checks;

/// <summary>
/// <c>kedge check</c>: reads the flags, environment and files exactly as a start does (<see cref="KedgeProgram.ReadStartup"/>),
/// runs every check area in parallel through <see cref="CheckRunner"/>, and writes the lines as a table or JSON. It
/// never binds a port and never applies anything.
/// </summary>
internal static class KedgeCheckCommand
{
    /// <summary>The first argument that selects the verb.</summary>
    public const string Verb = "check";

    internal const string OutputFlag = "output";
    internal const string TimeoutFlag = "timeout";
    internal const string ExpectNameFlag = "expect_name";
    internal const string ProbePathFlag = "probe_path";

    private const string Area = "configuration";

    /// <summary>The verb's own flags.</summary>
    internal static readonly IReadOnlyList<GoFlag> CheckFlags =
    [
        GoFlag.String(OutputFlag, "table", "How the lines are written: 'table' (for people) or 'json' (for machines; the same lines).", ["table", "json"]),
        GoFlag.Duration(TimeoutFlag, TimeSpan.FromSeconds(3), "How long each check may take; one that takes longer is a ✘ line saying so (the checks run in parallel)."),
        GoFlag.StringSlice(ExpectNameFlag, null, "The names callers use to reach this kedge (for example kedge.cluster-a.example.com,*.cluster-a.kedge); the server certificate must cover each one, as TLS clients match them."),
        GoFlag.String(ProbePathFlag, string.Empty, "A path (for example /healthz) to GET on every endpoint of every HTTP backend, besides connecting to it."),
    ];

    /// <summary>Every kedge flag (so the same command line reads the same configuration) and the verb's own.</summary>
    internal static readonly IReadOnlyList<GoFlag> Flags =
    [
        .. KedgeProgram.Flags.Where(f => f.Name is not (KedgeProgram.PrintConfigFlag or KedgeProgram.VersionFlag)),
        .. CheckFlags,
    ];

    /// <summary>What <c>kedge check --help</c> says before the flags.</summary>
    internal const string UsageHeader = """
        Usage: kedge check [every kedge flag] [--output=table|json] [--timeout=3s] [--expect_name=a,b] [--probe_path=/healthz]

        Reads the flags, environment and files exactly as 'kedge' with the same flags would at start — without binding a
        port or applying anything — and checks, in parallel, each with its own timeout: the configuration (every error
        with its source path), the certificates (key match, chain, names, expiry, client CAs, backend TLS files), the
        routing (routes shadowed by an earlier one, backends no route uses), every backend and endpoint, and Kubernetes
        access and discovery. Each line is ✔ (as it should be), ⚠ (works, needs attention) or ✘ (broken), with what was
        found and the fix.

        Exit codes:
          0  every line is ✔
          1  any line is ✘ (an invalid configuration or a bad flag included)
          2  no ✘, but at least one ⚠
        """;

    /// <summary>Runs the checks and writes the report to <paramref name="output"/>; returns the exit code.</summary>
    /// <param name="args">The command line after <c>check</c>.</param>
    /// <param name="output">Where the report goes (stdout).</param>
    /// <param name="error">Where flag warnings go (stderr).</param>
    /// <param name="timeProvider">The clock; the system's when null.</param>
    /// <param name="cancellationToken">Stops the checks.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        timeProvider ??= TimeProvider.System;
        var parsed = GoFlagParser.Parse(Flags, args, "kedge check");
        if (parsed.HelpRequested)
        {
            await output.WriteLineAsync(UsageHeader + "\nFlags:\n" + GoFlagParser.FormatUsage(Flags) + "\n" + GoFlagParser.BoolSyntaxHelp);
            return 0;
        }

        foreach (var warning in parsed.Warnings)
        {
            await error.WriteLineAsync("kedge check: warning: " + warning);
        }

        var flagErrors = new List<string>(parsed.Errors);
        var json = parsed.Succeeded ? parsed.GetString(OutputFlag).Equals("json", StringComparison.OrdinalIgnoreCase) : AsksForJson(args);
        CheckReport report;
        if (!parsed.Succeeded)
        {
            // Without a command line kedge would read, nothing else can be checked.
            report = new CheckReport([.. flagErrors.Select(FlagLine)]);
        }
        else
        {
            var timeout = parsed.GetDuration(TimeoutFlag);
            if (timeout <= TimeSpan.Zero)
            {
                flagErrors.Add($"--{TimeoutFlag}={GoDuration.Format(timeout)}: each check needs some time; give a positive Go duration, for example --{TimeoutFlag}=3s.");
                timeout = TimeSpan.FromSeconds(3);
            }

            var probePath = parsed.GetString(ProbePathFlag) is { Length: > 0 } path ? path : null;
            if (probePath is not null && !probePath.StartsWith('/'))
            {
                flagErrors.Add($"--{ProbePathFlag}={probePath}: a probe path starts with '/'; write it as the backends serve it, for example --{ProbePathFlag}=/healthz.");
                probePath = null;
            }

            var expected = parsed.GetStringList(ExpectNameFlag).Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            var reading = KedgeProgram.ReadStartup(parsed, KedgeStartupMode.Check);
            var context = new KedgeCheckContext(
                reading.Report,
                reading.Routing,
                reading.Source?.Description ?? "no routing source",
                reading.Errors,
                timeProvider,
                timeout,
                expected,
                probePath)
            {
                RoutingErrors = reading.RoutingErrors,
                KubernetesAccessErrors = reading.KubernetesAccessErrors,
                RoutingOrigin = reading.Routing is null ? null : reading.Source?.Origin,
            };
            IEnumerable<CheckDefinition> checks =
            [
                .. flagErrors.Select(e => CheckDefinition.Known(FlagLine(e))),
                .. ConfigurationChecks.For(context),
                .. CertificateChecks.For(context),
                .. RoutingChecks.For(context),
                .. BackendChecks.For(context),
                .. KubernetesChecks.For(context),
            ];
            report = await CheckRunner.RunAsync(checks, timeout, timeProvider, cancellationToken);
        }

        await output.WriteAsync(json ? report.ToJson() : report.ToTable());
        return report.ExitCode;
    }

    private static CheckResult FlagLine(string message)
        => CheckResult.Fail(Area, "command line", message, "correct the flag as the line says; 'kedge check --help' lists every flag");

    /// <summary>With a command line that does not parse, whether it still asked for JSON (a machine reads the answer).</summary>
    private static bool AsksForJson(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].Equals("--output=json", StringComparison.OrdinalIgnoreCase)
                || (args[i] == "--output" && i + 1 < args.Count && args[i + 1].Equals("json", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
