# /api/v1/search/ and the autocomplete endpoint (filled in by the search work).
urlpatterns: list = []
