# The server-rendered search page under /tim-kiem/ (filled in by the search work).
urlpatterns: list = []
