using System.Globalization;
using System.Text.RegularExpressions;

namespace Kedge.Server.Kubernetes;

/// <summary>
/// A Kubernetes resolver target, Go kedge's <c>dns_port_name</c>:
/// <c>&lt;service&gt;(.&lt;namespace&gt;)(.&lt;any suffix&gt;)(:&lt;port name&gt;|:&lt;port number&gt;)</c>.
/// The namespace defaults to <c>default</c>; no port means "the only port".
/// </summary>
internal sealed partial record K8sTarget(string Service, string Namespace, string? PortName, int? PortNumber)
{
    /// <summary>The format named in errors, as Go kedge wrote it.</summary>
    public const string Format = "<service>(|.<namespace>)(|.<suffix>)(|:<port_name>|:<port number>)";

    [GeneratedRegex("^[0-9a-z]*://.*")]
    private static partial Regex Schema();

    /// <summary>Parses a target; throws <see cref="FormatException"/> with Go kedge's messages.</summary>
    public static K8sTarget Parse(string? target)
    {
        if (string.IsNullOrEmpty(target))
        {
            throw new FormatException("Failed to parse targetEntry. Empty string");
        }

        if (Schema().IsMatch(target))
        {
            throw new FormatException($"Bad targetEntry name. It cannot contain any schema. Expected format: {Format}");
        }

        var parts = target.Split(':');
        if (parts.Length > 2)
        {
            throw new FormatException($"bad targetEntry - it contains multiple \":\" - expected format is {Format}");
        }

        string? portName = null;
        int? portNumber = null;
        if (parts.Length == 2 && parts[1].Length > 0)
        {
            if (int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                if (number is < 1 or > 65535)
                {
                    throw new FormatException($"bad targetEntry - the port {number} is not from 1 to 65535 - expected format is {Format}");
                }

                portNumber = number;
            }
            else
            {
                portName = parts[1];
            }
        }

        var names = parts[0].Split('.');
        if (names[0].Length == 0)
        {
            throw new FormatException($"bad targetEntry - the service name is empty - expected format is {Format}");
        }

        var ns = names.Length > 1 && names[1].Length > 0 ? names[1] : "default";
        return new K8sTarget(names[0], ns, portName, portNumber);
    }

    public override string ToString()
        => $"{Service}.{Namespace}" + (PortName is not null ? ":" + PortName : PortNumber is { } n ? ":" + n.ToString(CultureInfo.InvariantCulture) : string.Empty);
}
