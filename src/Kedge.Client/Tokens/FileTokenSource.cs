using System.Text;
using Kedge.Common.Files;

namespace Kedge.Client.Tokens;

internal sealed class FileTokenSource : KedgeTokenSource
{
    private readonly FileSnapshot<string> _file;

    public FileTokenSource(string name, string path, TimeSpan refreshInterval, TimeProvider timeProvider)
        : base(name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
        _file = new FileSnapshot<string>(
            [path],
            contents => CheckToken(Encoding.UTF8.GetString(contents[0]).Trim(), name),
            refreshInterval,
            timeProvider,
            onChanged: _ => ReportRefresh(succeeded: true),
            onReloadFailed: _ => ReportRefresh(succeeded: false));
    }

    public string Path { get; }

    public override ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return ValueTask.FromResult(_file.GetCurrent());
        }
        catch (IOException ex)
        {
            return ValueTask.FromException<string>(new InvalidOperationException($"token source '{Name}' could not read the token file '{Path}': {ex.InnerException?.Message ?? ex.Message}", ex));
        }
    }
}
