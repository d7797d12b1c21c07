namespace Kedge.Client.Tokens;

internal sealed class StaticTokenSource : KedgeTokenSource
{
    private readonly string _token;

    public StaticTokenSource(string name, string token)
        : base(name)
    {
        try
        {
            _token = CheckToken(token, name);
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException(ex.Message, nameof(token), ex);
        }
    }

    public override ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_token);
}
