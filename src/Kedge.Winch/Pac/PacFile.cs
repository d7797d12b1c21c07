using System.Text;

namespace Kedge.Winch.Pac;

/// <summary>
/// The PAC (proxy auto-config) file winch serves at <c>/wpad.dat</c>: byte for byte what Go winch's template renders
/// (tabs, blank lines and no final newline included), plus, when host patterns are given, one line that sends
/// <c>https://</c> to those hosts through winch (a CONNECT tunnel); or the file given with <c>--pac_file</c>.
/// </summary>
internal static class PacFile
{
    public const string ContentType = "application/x-ns-proxy-autoconfig";

    /// <summary>Renders the PAC for winch at <paramref name="winchHostPort"/> (<c>127.0.0.1:8070</c>).</summary>
    public static string Render(string winchHostPort, IReadOnlyList<string> shExpressions)
    {
        var pac = new StringBuilder();
        pac.Append("function FindProxyForURL(url, host) {\n");
        pac.Append("\tvar proxy = \"PROXY ").Append(winchHostPort).Append("; DIRECT\";\n");
        pac.Append("\tvar direct = \"DIRECT\";\n");
        pac.Append('\n');
        pac.Append("\t// no proxy for local hosts without domain:\n");
        pac.Append("\tif(isPlainHostName(host)) return direct;\n");
        pac.Append('\n');
        if (shExpressions.Count > 0)
        {
            // Not in Go winch (which could not tunnel): https:// to the listed hosts goes to winch as a CONNECT, which
            // winch tunnels through their kedge. Without a list https stays DIRECT, as in Go: winch refuses a CONNECT
            // to a host no route maps, and a browser does not fall back to DIRECT on a refusal.
            pac.Append("\t// https:// to these hosts goes through winch's CONNECT tunnel to their kedge.\n");
            pac.Append("\tif (url.substring(0, 6) == \"https:\" && (");
            for (var i = 0; i < shExpressions.Count; i++)
            {
                pac.Append(i == 0 ? string.Empty : " || ").Append("shExpMatch(host, \"").Append(shExpressions[i]).Append("\")");
            }

            pac.Append(")) return proxy;\n\n");
        }

        pac.Append("\t// We only proxy http, not even https.\n");
        pac.Append("\tif (\n");
        pac.Append("\t\turl.substring(0, 4) == \"ftp:\" ||\n");
        pac.Append("\t\turl.substring(0, 6) == \"rsync:\" ||\n");
        pac.Append("\t\turl.substring(0, 6) == \"https:\"\n");
        pac.Append("\t)\n");
        pac.Append("\t\treturn direct;\n");
        pac.Append('\n');
        pac.Append("\t// Commented for debug purposes.\n");
        pac.Append("\t// Use direct connection whenever we have direct network connectivity.\n");
        pac.Append("\t//if (isResolvable(host)) {\n");
        pac.Append("\t//    return direct\n");
        pac.Append("\t//}");
        if (shExpressions.Count > 0)
        {
            foreach (var expression in shExpressions)
            {
                pac.Append("\n\tif (shExpMatch(host, \"").Append(expression).Append("\")) {\n\t\treturn proxy;\n\t}");
            }

            pac.Append("\n\n\treturn direct;");
        }
        else
        {
            pac.Append("\n\treturn proxy;");
        }

        pac.Append("\n}");
        return pac.ToString();
    }
}
