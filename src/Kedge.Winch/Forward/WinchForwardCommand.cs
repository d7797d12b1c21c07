using System.CommandLine;
using Kedge.GoCompat;
using Kedge.Winch.Commands;

namespace Kedge.Winch.Forward;

/// <summary>
/// <c>winch forward --listen 127.0.0.1:5432 postgres.db.svc.cluster-b.kedge:5432 [--listen …] [winch flags]</c>: local
/// ports that are tunnels to services behind kedge, for clients that speak TCP (psql, redis-cli, kubectl's API server
/// connection). The same flags and config files as winch; the HTTP routes map the targets.
/// </summary>
internal static class WinchForwardCommand
{
    public const string Name = "forward";

    private const string Description =
        """
        Turns local ports into TCP tunnels to services behind kedge: each connection to a --listen address is carried
        to its target through the kedge the HTTP routes map the target to, with winch's client certificate and the
        route's proxy token. Repeat --listen for several forwards at once. Listen addresses are loopback only.
          winch forward --listen 127.0.0.1:5432 postgres.db.svc.cluster-b.kedge:5432 --server_mapper_config_path=mapper.json
        Same flags and config files as winch.
        """;

    /// <param name="args">The command line as typed (with the verb); the flags are read from it, not from System.CommandLine's tokens.</param>
    public static Command Create(IReadOnlyList<string> args, TextWriter error)
    {
        var command = new Command(Name, Description) { TreatUnmatchedTokensAsErrors = false };
        command.Options.Add(new Option<string[]>("--" + WinchForwardSpec.ListenFlag)
        {
            Description = "ADDRESS TARGET: listen on the loopback ADDRESS (127.0.0.1:5432, [::1]:5432, localhost:5432) and tunnel each connection to TARGET (host:port) through kedge. Repeatable.",
            Arity = ArgumentArity.ZeroOrMore,
            HelpName = "address target",
        });
        command.SetAction((_, cancellationToken) => RunAsync(WithoutVerb(args), error, started: null, cancellationToken));
        return command;
    }

    /// <summary>Runs the forwards until stopped; returns the process exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter error, Action<WinchForwardServer>? started, CancellationToken cancellationToken, Action<WebApplicationBuilder>? configure = null)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var rest = new List<string>();
        var forwards = WinchForwardSpec.Extract(args, rest, errors);
        var settings = WinchCommand.ReadSettings(rest, WinchFlags.All, "winch forward", errors, warnings, out _);
        foreach (var warning in warnings)
        {
            await error.WriteLineAsync("winch forward: warning: " + warning).ConfigureAwait(false);
        }

        var server = settings is null || errors.Count > 0 ? null : WinchForwardServer.Build(settings, forwards, errors, configure);
        if (server is null)
        {
            await FailAsync(error, errors).ConfigureAwait(false);
            return WinchCommand.ExitBadInput;
        }

        await using (server.ConfigureAwait(false))
        {
            try
            {
                await server.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                await FailAsync(error, [$"cannot listen: {ex.Message}. Is the port in use? Choose another --{WinchForwardSpec.ListenFlag} port"]).ConfigureAwait(false);
                return WinchCommand.ExitFailure;
            }

            started?.Invoke(server);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop cleanly.
            }
        }

        return 0;
    }

    private static List<string> WithoutVerb(IReadOnlyList<string> args)
    {
        var rest = args.ToList();
        rest.Remove(Name);
        return rest;
    }

    private static async Task FailAsync(TextWriter error, List<string> errors)
    {
        await error.WriteLineAsync("winch forward: cannot start:").ConfigureAwait(false);
        foreach (var message in errors)
        {
            await error.WriteLineAsync("  - " + message).ConfigureAwait(false);
        }

        await error.WriteLineAsync("Run 'winch forward --help' for the usage and 'winch --help' for the flags.").ConfigureAwait(false);
    }
}
