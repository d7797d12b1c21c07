using System.Net;
using Kedge.Winch.Tunnels;

namespace Kedge.Winch.Forward;

/// <summary>One <c>--listen address target</c> of <c>winch forward</c>: a loopback address and the service behind kedge.</summary>
/// <param name="Listen">The address as given (for messages).</param>
/// <param name="EndPoint">The loopback address and port to listen on (port 0 picks a free one).</param>
/// <param name="Target">The service's name and port.</param>
internal sealed record WinchForwardSpec(string Listen, IPEndPoint EndPoint, WinchTunnelTarget Target)
{
    public const string ListenFlag = "listen";

    /// <summary>
    /// Takes every <c>--listen ADDRESS TARGET</c> (or <c>--listen=ADDRESS TARGET</c>) out of <paramref name="args"/>;
    /// what is left is winch's own flags. Every problem goes to <paramref name="errors"/>, naming the flag and the fix.
    /// </summary>
    public static List<WinchForwardSpec> Extract(IReadOnlyList<string> args, List<string> rest, List<string> errors)
    {
        var specs = new List<WinchForwardSpec>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? listen;
            if (arg is "--" + ListenFlag or "-" + ListenFlag)
            {
                listen = i + 1 < args.Count ? args[++i] : null;
            }
            else if (arg.StartsWith("--" + ListenFlag + "=", StringComparison.Ordinal) || arg.StartsWith("-" + ListenFlag + "=", StringComparison.Ordinal))
            {
                listen = arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..];
            }
            else
            {
                rest.Add(arg);
                continue;
            }

            var target = i + 1 < args.Count && !args[i + 1].StartsWith('-') ? args[++i] : null;
            if (listen is null || target is null)
            {
                errors.Add($"--{ListenFlag} needs a loopback address and a target after it: --{ListenFlag} 127.0.0.1:5432 postgres.db.svc.cluster-b.kedge:5432");
                continue;
            }

            if (Parse(listen, target, errors) is { } spec)
            {
                specs.Add(spec);
            }
        }

        if (specs.Count == 0 && errors.Count == 0)
        {
            errors.Add($"winch forward needs at least one --{ListenFlag} ADDRESS TARGET, for example --{ListenFlag} 127.0.0.1:5432 postgres.db.svc.cluster-b.kedge:5432");
        }

        foreach (var duplicate in specs.Where(s => s.EndPoint.Port != 0).GroupBy(s => s.EndPoint).Where(g => g.Count() > 1))
        {
            errors.Add($"--{ListenFlag} {duplicate.First().Listen} is given {duplicate.Count()} times; each forward needs its own address or port");
        }

        return specs;
    }

    private static WinchForwardSpec? Parse(string listen, string target, List<string> errors)
    {
        var ok = true;
        var endPoint = Hosting.WinchServer.ParseEndPoint(listen);
        if (endPoint is null)
        {
            errors.Add($"--{ListenFlag} {listen}: not host:port with a loopback IP address or localhost, for example 127.0.0.1:5432");
            ok = false;
        }
        else if (!IPAddress.IsLoopback(endPoint.Address))
        {
            // Whoever can connect gets a tunnel with the developer's certificate and tokens.
            errors.Add($"--{ListenFlag} {listen}: winch forward listens on loopback addresses only (127.0.0.1, ::1, localhost): anyone who can connect would use your credentials. Use 127.0.0.1:{endPoint.Port}");
            ok = false;
        }

        if (!WinchTunnelTarget.TryParse(target, out var parsed, out var problem))
        {
            errors.Add($"--{ListenFlag} {listen}: target {problem}");
            ok = false;
        }
        else if (IPAddress.TryParse(parsed.Host, out _))
        {
            errors.Add($"--{ListenFlag} {listen}: target {target} is an IP address; kedge routes by name, so give the service's name, for example postgres.db.svc.cluster-b.kedge:{parsed.Port}");
            ok = false;
        }

        return ok ? new WinchForwardSpec(listen, endPoint!, parsed) : null;
    }
}
