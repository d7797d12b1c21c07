using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kedge.Winch.Auth;

/// <summary>
/// A kubeconfig file (YAML or JSON) read as a YAML tree, so one user's entry can be read and, after an OIDC refresh,
/// written back with everything else kept.
/// </summary>
internal sealed class KubeConfig
{
    /// <summary>One write-back at a time per kubeconfig file (several sources may share one).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lock> WriteLocks = new(StringComparer.Ordinal);

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

    /// <summary>
    /// Writes the tree back to <see cref="Path"/> (through a symlink to its target, as kubectl does) via a temporary file
    /// with a random name that is created 0600 from the start, so a reader never sees half a file and nobody else can open
    /// the credentials in between. One write at a time per file within winch.
    /// </summary>
    public void Save()
    {
        var target = ResolveLinks(Path);
        lock (WriteLocks.GetOrAdd(target, static _ => new Lock()))
        {
            var temporary = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(target) ?? ".", $".{System.IO.Path.GetFileName(target)}.winch-{Guid.NewGuid():N}.tmp");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using (var writer = new StreamWriter(new FileStream(temporary, options)))
                {
                    _stream.Save(writer, assignAnchors: false);
                }

                File.Move(temporary, target, overwrite: true);
            }
            catch
            {
                File.Delete(temporary);
                throw;
            }
        }
    }

    /// <summary>The file a (chain of) symlink(s) points to, so writing back keeps the link.</summary>
    private static string ResolveLinks(string path)
        => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? System.IO.Path.GetFullPath(path);

    public static YamlNode? Child(YamlMappingNode node, string key)
        => node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static string? Scalar(YamlMappingNode node, string key)
        => Child(node, key) is YamlScalarNode { Value: { } value } ? value : null;

    public static void SetScalar(YamlMappingNode node, string key, string value)
        => node.Children[new YamlScalarNode(key)] = new YamlScalarNode(value);
}
