from kshare.attendance import urls_checkin, urls_log

app_name = "attendance"
urlpatterns = urls_checkin.urlpatterns + urls_log.urlpatterns
