app_name = "rhythm"
urlpatterns: list = []
