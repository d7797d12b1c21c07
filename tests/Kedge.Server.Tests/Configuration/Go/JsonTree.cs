namespace Kedge.Server.Tests.Configuration.Go;

/// <summary>A tiny JSON tree, so that generated configs can be written in any field-name style and mutated by node.</summary>
internal abstract record JsonTree
{
    public abstract IEnumerable<JsonTree> Nodes();

    /// <summary>
    /// Replaces <paramref name="target"/> (by reference) with what <paramref name="replace"/> gives for its member
    /// name (null inside arrays): nothing, itself renamed, or several members.
    /// </summary>
    public abstract JsonTree Rewrite(JsonTree target, Func<string?, IEnumerable<(string? Name, JsonTree Value)>> replace);

    public sealed record Raw(string Text) : JsonTree
    {
        public override IEnumerable<JsonTree> Nodes() => [this];

        public override JsonTree Rewrite(JsonTree target, Func<string?, IEnumerable<(string? Name, JsonTree Value)>> replace) => this;

        public override string ToString() => Text;
    }

    public sealed record Array(IReadOnlyList<JsonTree> Items) : JsonTree
    {
        public override IEnumerable<JsonTree> Nodes() => Items.SelectMany(i => i.Nodes()).Prepend(this);

        public override JsonTree Rewrite(JsonTree target, Func<string?, IEnumerable<(string? Name, JsonTree Value)>> replace) =>
            new Array([.. Items.SelectMany(i => ReferenceEquals(i, target) ? replace(null).Select(r => r.Value) : [i.Rewrite(target, replace)])]);

        public override string ToString() => "[" + string.Join(",", Items) + "]";
    }

    public sealed record Object(IReadOnlyList<(string Name, JsonTree Value)> Members) : JsonTree
    {
        public override IEnumerable<JsonTree> Nodes() => Members.SelectMany(m => m.Value.Nodes()).Prepend(this);

        public override JsonTree Rewrite(JsonTree target, Func<string?, IEnumerable<(string? Name, JsonTree Value)>> replace) =>
            new Object([.. Members.SelectMany(m => ReferenceEquals(m.Value, target)
                ? replace(m.Name).Select(r => (r.Name ?? m.Name, r.Value))
                : [(m.Name, m.Value.Rewrite(target, replace))])]);

        public override string ToString() =>
            "{" + string.Join(",", Members.Select(m => (m.Name.StartsWith('"') ? m.Name : GoConfigReaderProperties.Quote(m.Name)) + ":" + m.Value)) + "}";
    }
}
