using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kedge.Winch.Auth;

/// <summary>
/// A kubeconfig file (YAML or JSON) read as a YAML tree, so one user's entry can be read and, after an OIDC refresh,
/// written back with everything else kept.
/// </summary>
internal sealed class KubeConfig
{
    private readonly YamlStream _stream;

    private KubeConfig(string path, YamlStream stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    /// <summary>The kubeconfig path Go winch uses when none is given: <c>~/.kube/config</c>.</summary>
    public static string DefaultPath => System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");

    /// <summary>Loads the file; the exception message names the file and the problem.</summary>
    public static KubeConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot read the kubeconfig {path}: {ex.Message}", ex);
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new InvalidOperationException($"the kubeconfig {path} is not valid YAML (line {ex.Start.Line}): {ex.Message}", ex);
        }

        return new KubeConfig(path, stream);
    }

    /// <summary>The <c>user</c> mapping of the named entry under <c>users</c>, or null.</summary>
    public YamlMappingNode? FindUser(string name)
    {
        if (_stream.Documents.Count == 0 || _stream.Documents[0].RootNode is not YamlMappingNode root || Child(root, "users") is not YamlSequenceNode users)
        {
            return null;
        }

        foreach (var entry in users.OfType<YamlMappingNode>())
        {
            if (Scalar(entry, "name") == name)
            {
                return Child(entry, "user") as YamlMappingNode ?? new YamlMappingNode();
            }
        }

        return null;
    }

    /// <summary>The names of all users, for error messages.</summary>
    public IReadOnlyList<string> UserNames()
    {
        if (_stream.Documents.Count == 0 || _stream.Documents[0].RootNode is not YamlMappingNode root || Child(root, "users") is not YamlSequenceNode users)
        {
            return [];
        }

        return [.. users.OfType<YamlMappingNode>().Select(u => Scalar(u, "name")).OfType<string>()];
    }

    /// <summary>Writes the tree back to <see cref="Path"/>, through a temporary file so a reader never sees half a file.</summary>
    public void Save()
    {
        var temporary = Path + ".winch-tmp";
        using (var writer = new StreamWriter(temporary))
        {
            _stream.Save(writer, assignAnchors: false);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, Path, overwrite: true);
    }

    public static YamlNode? Child(YamlMappingNode node, string key)
        => node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static string? Scalar(YamlMappingNode node, string key)
        => Child(node, key) is YamlScalarNode { Value: { } value } ? value : null;

    public static void SetScalar(YamlMappingNode node, string key, string value)
        => node.Children[new YamlScalarNode(key)] = new YamlScalarNode(value);
}
