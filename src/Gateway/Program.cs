using Crm.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddCrm();

var app = builder.Build();
app.MapCrm();
app.Run();

// Lets the functional tests host the real pipeline with WebApplicationFactory<Program>.
public partial class Program;
