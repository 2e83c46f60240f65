using System.Reflection;
using Qdrant.Client;

namespace ReId.Search.Tests;

/// <summary>An <see cref="IQdrantClient"/> that records every call and answers from a handler, so the request
/// mapping can be checked without a server.</summary>
public class FakeQdrantClient : DispatchProxy
{
    public List<(string Method, object?[] Args)> Calls { get; } = [];

    public Func<string, object?[], object?> Respond { get; set; } = (name, _) => throw new NotSupportedException($"unexpected Qdrant call {name}");

    public static (IQdrantClient Client, FakeQdrantClient Fake) Create()
    {
        var client = Create<IQdrantClient, FakeQdrantClient>();
        return (client, (FakeQdrantClient)(object)client);
    }

    public IEnumerable<object?[]> ArgsOf(string method) => Calls.Where(c => c.Method == method).Select(c => c.Args);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        Calls.Add((targetMethod.Name, args ?? []));
        try
        {
            return Respond(targetMethod.Name, args ?? []);
        }
        catch (Exception e) when (targetMethod.ReturnType.IsAssignableTo(typeof(Task)))
        {
            // Faults travel inside the task, as a real client's would.
            return FaultedTask(targetMethod.ReturnType, e);
        }
    }

    private static object FaultedTask(Type taskType, Exception e)
    {
        if (!taskType.IsGenericType)
        {
            return Task.FromException(e);
        }

        var method = typeof(Task).GetMethods().Single(m => m.Name == nameof(Task.FromException) && m.IsGenericMethod);
        return method.MakeGenericMethod(taskType.GetGenericArguments()[0]).Invoke(null, [e])!;
    }
}
