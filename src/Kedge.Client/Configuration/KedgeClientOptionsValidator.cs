using Microsoft.Extensions.Options;

namespace Kedge.Client.Configuration;

/// <summary>Validates <see cref="KedgeClientOptions"/> at start, listing every error with its configuration key.</summary>
internal sealed class KedgeClientOptionsValidator : IValidateOptions<KedgeClientOptions>
{
    private readonly KedgeClientSection _section;
    private readonly TimeProvider _timeProvider;

    public KedgeClientOptionsValidator(KedgeClientSection section, TimeProvider timeProvider)
    {
        _section = section;
        _timeProvider = timeProvider;
    }

    public ValidateOptionsResult Validate(string? name, KedgeClientOptions options)
    {
        var errors = new List<string>();
        KedgeClientOptionsCompiler.Compile(options, _section, _timeProvider, logger: null, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
