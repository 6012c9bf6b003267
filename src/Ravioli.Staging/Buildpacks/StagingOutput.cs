namespace Ravioli.Staging.Buildpacks;

/// <summary>The user-facing staging log, in Cloud Foundry's style; safe to call from several threads.</summary>
internal sealed class StagingOutput(Action<string> sink)
{
    public const string StepPrefix = "-----> ";
    public const string Indent = "       ";

    private readonly Lock _lock = new();

    public void Step(string text) => Line(StepPrefix + text);

    public void Info(string text) => Line(Indent + text);

    public void Line(string text)
    {
        lock (_lock)
        {
            sink(text);
        }
    }
}
